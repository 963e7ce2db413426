import Foundation
import ONNXIR

/// Merges nodes that compute the same thing: same op, domain, attributes and input values.
///
///     a = Relu(x); b = Relu(x); y = Add(a, b)   ->   a = Relu(x); y = Add(a, a)
///
/// Walks each graph in topological order and merges as it goes, so chains of duplicates
/// collapse in one sweep (once two nodes are merged their readers become identical too). The
/// earlier node is kept. Attributes compare exactly, tensors byte for byte; input order counts
/// (Add(x, y) and Add(y, x) stay apart).
///
/// Does not fire on: nodes holding subgraphs (If/Loop/Scan); non-deterministic ops
/// (RandomNormal, RandomUniform, Multinomial, Bernoulli, ...); Dropout (random in training
/// mode); domains other than ai.onnx and com.microsoft (custom ops may have state); attributes
/// referring to function attributes. When both twins' outputs are graph outputs the pair stays
/// (an output cannot be listed under two names), reported as a skip.
public struct CommonSubexpressionElimination: GraphPass {
    public static let name = "cse"
    public static let summary = "Merge nodes with the same op, attributes and inputs."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        for graph in context.graph.allGraphs {
            var buckets: [Int: [Node]] = [:]
            for node in graph.nodes where node.graph === graph && Self.isEligible(node) {
                let key = Self.signature(node)
                guard let twin = buckets[key]?.first(where: { Self.equivalent($0, node) }) else {
                    buckets[key, default: []].append(node)
                    continue
                }
                let pairs = zip(node.outputs, twin.outputs).compactMap { d, c in d.flatMap { d in c.map { (d, $0) } } }
                if pairs.contains(where: { $0.0.isGraphOutput && $0.1.isGraphOutput }) {
                    report.skip(label(node), "both it and its twin \(label(twin)) produce graph outputs")
                    continue
                }
                for (duplicate, kept) in pairs {
                    if duplicate.isGraphOutput {
                        let publicName = duplicate.name
                        graph.replaceAllUses(of: duplicate, with: kept, includingGraphOutputs: true)
                        graph.rename(duplicate, to: graph.freshName(publicName))
                        graph.rename(kept, to: publicName)
                    } else {
                        graph.replaceAllUses(of: duplicate, with: kept)
                    }
                }
                graph.erase(node)
                report.changed("merged \(label(node)) into \(label(twin))")
            }
        }
        return report
    }

    static func isEligible(_ node: Node) -> Bool {
        let domain = node.normalizedDomain
        guard domain.isEmpty || domain == "com.microsoft" else { return false }
        guard !nondeterministicOps.contains(node.opType), node.opType != "Dropout" else { return false }
        guard node.subgraphs.isEmpty, !node.outputs.isEmpty else { return false }
        return node.attributes.allSatisfy { $0.referencedAttributeName.isEmpty }
    }

    /// Inputs without trailing absent ones (an omitted optional input equals an absent one).
    static func inputs(_ node: Node) -> [Value?] {
        var inputs = node.inputs
        while let last = inputs.last, last == nil { inputs.removeLast() }
        return inputs
    }

    /// A hash of what `equivalent` compares (tensors by type and dims only).
    static func signature(_ node: Node) -> Int {
        var h = Hasher()
        h.combine(node.opType)
        h.combine(node.normalizedDomain)
        for input in inputs(node) { h.combine(input.map(ObjectIdentifier.init)) }
        h.combine(node.outputs.map { $0 == nil })
        for a in node.attributes.sorted(by: { $0.name < $1.name }) {
            h.combine(a.name)
            h.combine(a.value.typeCode)
            if case .tensor(let t) = a.value {
                h.combine(t.dataType.rawValue)
                h.combine(t.dims)
            } else {
                h.combine(AttributeText.describe(a.value))
            }
        }
        return h.finalize()
    }

    static func equivalent(_ a: Node, _ b: Node) -> Bool {
        guard a.opType == b.opType, a.normalizedDomain == b.normalizedDomain, a.outputs.count == b.outputs.count else { return false }
        guard zip(a.outputs, b.outputs).allSatisfy({ ($0 == nil) == ($1 == nil) }) else { return false }
        let ia = inputs(a)
        let ib = inputs(b)
        guard ia.count == ib.count, zip(ia, ib).allSatisfy({ $0 === $1 }) else { return false }
        let attrsA = a.attributes.sorted { $0.name < $1.name }
        let attrsB = b.attributes.sorted { $0.name < $1.name }
        guard attrsA.map(\.name) == attrsB.map(\.name) else { return false }
        return zip(attrsA, attrsB).allSatisfy { equal($0.value, $1.value) }
    }

    /// Exact equality of attribute values (floats by bit pattern; graphs and sparse tensors never).
    static func equal(_ a: AttributeValue, _ b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
        case (.int(let x), .int(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.floats(let x), .floats(let y)): return x.map(\.bitPattern) == y.map(\.bitPattern)
        case (.ints(let x), .ints(let y)): return x == y
        case (.strings(let x), .strings(let y)): return x == y
        case (.tensor(let x), .tensor(let y)): return TensorContents.equal(x, y)
        case (.tensors(let x), .tensors(let y)): return x.count == y.count && zip(x, y).allSatisfy { TensorContents.equal($0, $1) }
        case (.type(let x), .type(let y)): return x == y
        case (.types(let x), .types(let y)): return x == y
        default: return false
        }
    }
}

/// Byte-level comparison and hashing of tensor contents.
enum TensorContents {
    /// Same element type, dims and elements (bytes, or strings).
    static func equal(_ a: Tensor, _ b: Tensor) -> Bool {
        guard a.dataType == b.dataType, a.dims == b.dims else { return false }
        switch (a.storage, b.storage) {
        case (.strings(let x), .strings(let y)): return x == y
        case (.strings, _), (_, .strings): return false
        default:
            guard let x = try? a.buffer(), let y = try? b.buffer() else { return false }
            if x === y { return true }
            let n = Int(a.byteCount)
            guard x.count >= n, y.count >= n else { return false }
            if n == 0 { return true }
            return memcmp(x.bytes.baseAddress!, y.bytes.baseAddress!, n) == 0
        }
    }

    /// A hash of the elements (nil when they cannot be read).
    static func hash(_ t: Tensor) -> Int? {
        var h = Hasher()
        h.combine(t.dataType.rawValue)
        h.combine(t.dims)
        switch t.storage {
        case .strings(let s): h.combine(s)
        default:
            guard let buffer = try? t.buffer() else { return nil }
            h.combine(bytes: UnsafeRawBufferPointer(rebasing: buffer.bytes.prefix(Int(t.byteCount))))
        }
        return h.finalize()
    }
}
