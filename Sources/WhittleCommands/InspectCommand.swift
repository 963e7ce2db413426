import ArgumentParser
import Foundation
import ONNXIR

/// A dimension in JSON: a number when known, the symbol's name when symbolic, null when unknown.
enum JSONDimension: Codable, Equatable, CustomStringConvertible {
    case value(Int64)
    case symbol(String)
    case unknown

    init(_ d: ONNXIR.Dimension) {
        switch d {
        case .value(let v): self = .value(v)
        case .symbol(let s): self = .symbol(s)
        case .unknown: self = .unknown
        }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .unknown
        } else if let v = try? c.decode(Int64.self) {
            self = .value(v)
        } else {
            self = .symbol(try c.decode(String.self))
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .value(let v): try c.encode(v)
        case .symbol(let s): try c.encode(s)
        case .unknown: try c.encodeNil()
        }
    }

    var description: String {
        switch self {
        case .value(let v): "\(v)"
        case .symbol(let s): s
        case .unknown: "?"
        }
    }

    var isKnown: Bool { if case .value = self { true } else { false } }
}

/// The summary `whittle inspect` prints (JSON keys are part of the CLI contract).
struct ModelSummary: Codable {
    struct IO: Codable {
        var name: String
        var dtype: String
        /// Known dims as numbers, symbolic dims as their names, unknown as null; null when the rank is unknown.
        var shape: [JSONDimension]?
    }
    struct Layer: Codable {
        var name: String
        var op: String
        var outputShape: [JSONDimension]?
        var parameters: Int64
        var macs: Int64?
    }
    var file: String
    var irVersion: Int64
    var opsets: [String: Int64]
    var producer: String
    var inputs: [IO]
    var outputs: [IO]
    var nodeCount: Int
    /// Nodes inside subgraphs (If/Loop/Scan bodies), not in `nodeCount`.
    var subgraphNodeCount: Int
    var opCounts: [String: Int]
    var parameters: Int64
    var initializerBytes: Int64
    var macs: Int64?
    var sizeBytes: Int64
    var functions: [String]
    var layers: [Layer]?

    enum CodingKeys: String, CodingKey {
        case file, irVersion, opsets, producer, inputs, outputs, nodeCount, subgraphNodeCount, opCounts, parameters, initializerBytes, macs,
            sizeBytes,
            functions, layers
    }

    /// `macs` is written as null when unknown (scripts rely on the key being there).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(irVersion, forKey: .irVersion)
        try c.encode(opsets, forKey: .opsets)
        try c.encode(producer, forKey: .producer)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(nodeCount, forKey: .nodeCount)
        try c.encode(subgraphNodeCount, forKey: .subgraphNodeCount)
        try c.encode(opCounts, forKey: .opCounts)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(initializerBytes, forKey: .initializerBytes)
        try c.encode(macs, forKey: .macs)
        try c.encode(sizeBytes, forKey: .sizeBytes)
        try c.encode(functions, forKey: .functions)
        try c.encodeIfPresent(layers, forKey: .layers)
    }

    init(model: Model, file: String, sizeBytes: Int64, statistics: ModelStatistics, includeLayers: Bool) {
        self.file = file
        irVersion = model.irVersion
        opsets = Dictionary(
            model.opsetImports.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) }, uniquingKeysWith: { a, _ in a })
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        func io(_ v: Value) -> IO {
            let type = v.knownType
            return IO(
                name: v.name, dtype: type?.elementType?.name ?? type?.description ?? "?",
                shape: type?.shape.map { $0.dimensions.map(JSONDimension.init) })
        }
        inputs = model.graph.inputs.filter { !$0.isInitializer }.map(io)
        outputs = model.graph.outputs.map(io)
        nodeCount = model.graph.nodes.count
        subgraphNodeCount = model.graph.allGraphs.dropFirst().reduce(0) { $0 + $1.nodes.count }
        opCounts = statistics.opCounts
        parameters = statistics.parameterCount
        initializerBytes = statistics.weightBytes
        macs = statistics.totalMACs
        self.sizeBytes = sizeBytes
        functions = model.functions.map { $0.domain.isEmpty ? $0.name : "\($0.domain).\($0.name)" }
        if includeLayers {
            layers = statistics.layers.map {
                Layer(
                    name: $0.name, op: $0.op, outputShape: $0.outputShape.map { $0.dimensions.map(JSONDimension.init) },
                    parameters: $0.parameters, macs: $0.macs)
            }
        }
    }
}

/// `whittle inspect`: what a model is and what it costs.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize a model: IR version, opsets, inputs and outputs, ops, parameters, MACs, size.",
        discussion: """
            Shapes are inferred (symbolic dims stay symbolic), so MACs are exact when every Conv, \
            Gemm and MatMul shape is known and null otherwise; --layers lists each node's output \
            shape, parameters and MACs.
            """)

    @Argument(help: "The ONNX model to inspect.")
    var model: String

    @Flag(help: "List every node with its output shape, parameters and MACs.")
    var layers = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func run() throws {
        let loaded = try CommandSupport.loadModel(model)
        let statistics = ModelStatistics(model: loaded)
        let summary = ModelSummary(
            model: loaded, file: model, sizeBytes: CommandSupport.fileSize(model), statistics: statistics, includeLayers: layers)
        if json {
            try CommandSupport.printJSON(summary)
        } else {
            print(Self.text(summary))
        }
    }

    static func text(_ s: ModelSummary) -> String {
        var lines: [String] = []
        func dims(_ d: [JSONDimension]?) -> String { d.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[?]" }
        lines.append(
            "\(s.file): ONNX IR \(s.irVersion), opsets \(s.opsets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))\(s.producer.isEmpty ? "" : ", from \(s.producer)")"
        )
        func io(_ x: ModelSummary.IO) -> String {
            "  \(x.name): \(x.dtype)\(dims(x.shape))"
        }
        lines.append("inputs:")
        lines += s.inputs.map(io)
        lines.append("outputs:")
        lines += s.outputs.map(io)
        lines.append("nodes: \(s.nodeCount)\(s.subgraphNodeCount > 0 ? " (+\(s.subgraphNodeCount) in subgraphs)" : "")")
        lines.append(
            "ops: "
                + s.opCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                    separator: ", "))
        lines.append("parameters: \(grouped(s.parameters)) (\(bytes(s.initializerBytes)) of initializers)")
        lines.append(
            "MACs: \(s.macs.map { grouped($0) + (s.inputs.contains { $0.shape?.contains { !$0.isKnown } ?? false } ? " (symbolic dims taken as 1)" : "") } ?? "unknown (some Conv/Gemm/MatMul shapes could not be inferred)")"
        )
        lines.append("file size: \(bytes(s.sizeBytes))")
        if !s.functions.isEmpty { lines.append("functions: \(s.functions.joined(separator: ", "))") }
        if let layers = s.layers {
            lines.append("layers:")
            for l in layers {
                lines.append(
                    "  \(l.name) (\(l.op)) -> \(l.outputShape == nil ? "?" : dims(l.outputShape)), params \(grouped(l.parameters)), MACs \(l.macs.map(grouped) ?? "?")"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    static func grouped(_ v: Int64) -> String {
        let f = NumberFormatter()
        f.numberStyle = .decimal
        f.groupingSeparator = ","
        return f.string(from: NSNumber(value: v)) ?? String(v)
    }

    static func bytes(_ v: Int64) -> String {
        v >= 1 << 20
            ? String(format: "%.1f MiB", Double(v) / 1_048_576) : v >= 1024 ? String(format: "%.1f KiB", Double(v) / 1024) : "\(v) B"
    }
}
