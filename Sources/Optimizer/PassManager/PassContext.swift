import Foundation
import Interpreter
import ONNXIR

/// What a pass works with: the model (mutated through the IR API), the opset in force, and a
/// place to log. One context per pass run.
public final class PassContext {
    public let model: Model
    /// Passes that ran before this one (for messages).
    public let history: [String]
    public let log: (String) -> Void
    /// Calibration samples (feeds by input name), when the user gave `--calibration DIR`; loaded
    /// one at a time as the pass reads them.
    public let calibration: CalibrationData?

    public init(
        model: Model, history: [String] = [], calibration: CalibrationData? = nil, log: @escaping (String) -> Void = { _ in }
    ) {
        self.model = model
        self.history = history
        self.calibration = calibration
        self.log = log
    }

    public var graph: Graph { model.graph }

    /// The default-domain opset of the model.
    public var opset: Int { Int(model.opsetVersion(for: "") ?? 1) }
}

/// A fingerprint of a model's structure and weights' identity, to tell whether a pass changed
/// anything without trusting its word.
enum ModelFingerprint {
    static func of(_ model: Model) -> Int {
        var hasher = Hasher()
        for g in model.graph.allGraphs { hash(g, into: &hasher) }
        for f in model.functions { hash(f.body, into: &hasher) }
        hasher.combine(model.opsetImports.map { "\($0.domain):\($0.version)" })
        return hasher.finalize()
    }

    private static func hash(_ g: Graph, into hasher: inout Hasher) {
        hasher.combine(g.inputs.map(ObjectIdentifier.init))
        hasher.combine(g.outputs.map(ObjectIdentifier.init))
        for v in g.initializers {
            hasher.combine(ObjectIdentifier(v))
            hasher.combine(v.name)
            if let t = v.initializer {
                hasher.combine(t.dims)
                hasher.combine(t.dataType.rawValue)
                if case .bytes(let b) = t.storage { hasher.combine(ObjectIdentifier(b)) }
            }
        }
        for n in g.nodes {
            hasher.combine(ObjectIdentifier(n))
            hasher.combine(n.opType)
            hasher.combine(n.domain)
            hasher.combine(n.inputs.map { $0.map(ObjectIdentifier.init) })
            hasher.combine(n.outputs.map { $0.map(ObjectIdentifier.init) })
            hasher.combine(AttributeText.describe(n.attributes))
        }
    }
}

/// A compact text form of attributes, for fingerprints and diffs.
public enum AttributeText {
    public static func describe(_ attributes: [Attribute]) -> String {
        attributes.map { "\($0.name)=\(describe($0.value))" }.joined(separator: ",")
    }

    public static func describe(_ value: AttributeValue) -> String {
        switch value {
        case .float(let f): return "\(f)"
        case .int(let i): return "\(i)"
        case .string(let s): return "'\(String(decoding: s, as: UTF8.self))'"
        case .floats(let f): return "\(f)"
        case .ints(let i): return "\(i)"
        case .strings(let s): return "\(s.map { String(decoding: $0, as: UTF8.self) })"
        case .tensor(let t): return "tensor(\(t.dataType.name)\(t.dims))"
        case .graph(let g): return "graph(\(g.name),\(g.nodes.count) nodes)"
        case .graphs(let gs): return "graphs(\(gs.count))"
        case .sparseTensor, .sparseTensors: return "sparse"
        case .tensors(let ts): return "tensors(\(ts.count))"
        case .type(let t): return "type(\(t))"
        case .types(let ts): return "types(\(ts.count))"
        case .undefined: return "undefined"
        }
    }
}
