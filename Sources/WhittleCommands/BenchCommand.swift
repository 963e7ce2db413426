import ArgumentParser
import Foundation
import Interpreter
import ONNXIR

#if canImport(Glibc)
    import Glibc
#endif

/// Timing result of `whittle bench`.
struct BenchReport: Codable {
    var model: String
    var threads: Int
    var runs: Int
    var warmup: Int
    var medianMs: Double
    var p90Ms: Double
    var minMs: Double
    var peakRSSBytes: Int
    /// With --profile: time per op type, largest first.
    var profile: [OpProfile]?
    /// With --profile: every plan step, slowest first (the text output lists the first 15).
    var nodes: [NodeProfile]?
}

/// Kernel time of one plan step (a node and whatever is fused into it) over a run.
struct NodeProfile: Codable {
    var node: String
    var op: String
    var msPerRun: Double
}

/// Kernel time of one op type over a run (`whittle bench --profile`).
struct OpProfile: Codable {
    var op: String
    var nodes: Int
    var msPerRun: Double
    var share: Double
}

/// `whittle bench`: interpreter latency and peak memory.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the interpreter on a model.",
        discussion: """
            Runs --warmup untimed then --runs timed inferences and prints median and p90 latency and \
            the process's peak resident memory. Inputs come from --input NAME=FILE, --inputs DIR (its \
            first sample), or seeded random data of the declared shapes (symbolic dims become 1). \
            --profile then repeats the runs timing each kernel and lists the time per op type; \
            activations the interpreter fuses into the Conv before them share its row ("Conv+Relu").
            """)

    @Argument(help: "The ONNX model to time.")
    var model: String

    @Option(name: .customLong("input"), help: "An input as NAME=FILE (.pb or .npy). Repeatable.")
    var inputPairs: [String] = []

    @Option(name: .customLong("inputs"), help: "A data folder; its first sample is used.")
    var inputsFolder: String?

    @Option(help: "Threads for the interpreter.")
    var threads = 1

    @Option(
        name: .customLong("memory-cap"),
        help:
            "Most bytes the run's tensors may hold at once (e.g. 512M, 4G); a larger allocation fails before it happens. Default: physical memory."
    )
    var memoryCap: ByteCount?

    @Option(help: "Timed runs.")
    var runs = 20

    @Option(help: "Untimed runs first.")
    var warmup = 3

    @Flag(help: "After timing, rerun with a timer around every kernel and list the time per op type.")
    var profile = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must be at least 0") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let loaded = try CommandSupport.loadModel(model)
        let session = try CommandSupport.session(for: loaded, threads: threads, memoryCap: memoryCap?.bytes)
        let feeds: [String: RuntimeTensor]
        if !inputPairs.isEmpty {
            feeds = try InputFeeds.fromPairs(inputPairs, model: loaded)
        } else if let inputsFolder {
            guard let first = try CommandSupport.dataFolder(inputsFolder).samples.first else {
                throw CommandFailure("\(inputsFolder): no samples")
            }
            feeds = try InputFeeds.fromSample(first, model: loaded)
        } else {
            feeds = try InputFeeds.random(for: loaded, seed: 0)
        }
        for _ in 0..<warmup { _ = try CommandSupport.run(session, feeds) }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try CommandSupport.run(session, feeds)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        var report = BenchReport(
            model: model, threads: threads, runs: runs, warmup: warmup, medianMs: Self.percentile(times, 0.5),
            p90Ms: Self.percentile(times, 0.9), minMs: times[0], peakRSSBytes: Self.peakRSS())
        if profile { (report.profile, report.nodes) = try profileOps(session, feeds) }
        if json {
            try CommandSupport.printJSON(report)
        } else {
            print(
                String(
                    format: "%@: median %.3f ms, p90 %.3f ms, min %.3f ms over %d runs (%d threads); peak RSS %.1f MiB", model,
                    report.medianMs, report.p90Ms, report.minMs, runs, threads, Double(report.peakRSSBytes) / 1_048_576))
            for row in report.profile ?? [] {
                let op = row.op.padding(toLength: max(24, row.op.count), withPad: " ", startingAt: 0)
                print("  " + op + String(format: " %5d nodes %10.3f ms %6.1f%%", row.nodes, row.msPerRun, row.share * 100))
            }
            if let steps = report.nodes, !steps.isEmpty {
                print("slowest nodes:")
                for row in steps.prefix(Self.slowestNodeCount) {
                    print(String(format: "  %10.3f ms  ", row.msPerRun) + "\(row.node) (\(row.op))")
                }
            }
        }
    }

    static let slowestNodeCount = 15

    /// Kernel time per op type and of the slowest steps, averaged over `runs` profiled runs (not
    /// the timed ones: the timers cost a little). Nodes fused into one kernel share a row.
    func profileOps(_ session: Session, _ feeds: [String: RuntimeTensor]) throws -> ([OpProfile], [NodeProfile]) {
        var nanoseconds: [String: UInt64] = [:]
        var nodes: [String: Set<ObjectIdentifier>] = [:]
        var perStep: [ObjectIdentifier: (node: Node, op: String, ns: UInt64)] = [:]
        for _ in 0..<runs {
            _ = try CommandSupport.run(session, feeds) { node, ns in
                // A step with fused nodes is listed as their op types joined by "+" ("Conv+Relu").
                let fused = [node] + session.fusedNodes(after: node)
                let op = fused.map(\.qualifiedOp).joined(separator: "+")
                nanoseconds[op, default: 0] += ns
                for n in fused { nodes[op, default: []].insert(ObjectIdentifier(n)) }
                perStep[ObjectIdentifier(node), default: (node, op, 0)].ns += ns
            }
        }
        let total = Double(nanoseconds.values.reduce(0, +))
        let byOp = nanoseconds.map { op, ns in
            OpProfile(
                op: op, nodes: nodes[op]?.count ?? 0, msPerRun: Double(ns) / 1e6 / Double(runs), share: total > 0 ? Double(ns) / total : 0)
        }.sorted { ($0.msPerRun, $1.op) > ($1.msPerRun, $0.op) }
        let steps = perStep.values.sorted { ($0.ns, $1.node.name) > ($1.ns, $0.node.name) }.map {
            NodeProfile(node: $0.node.name.isEmpty ? "(unnamed)" : $0.node.name, op: $0.op, msPerRun: Double($0.ns) / 1e6 / Double(runs))
        }
        return (byOp, steps)
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = p * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}
