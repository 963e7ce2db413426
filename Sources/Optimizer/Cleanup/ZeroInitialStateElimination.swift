import ONNXIR

/// Drops initial states of LSTM/GRU/RNN that are all zeros: an absent `initial_h`/`initial_c`
/// means zeros, so the ConstantOfShape (and the Shape -> Gather -> Concat chain sizing it by the
/// batch) that exporters emit for them become dead.
///
///     h0 = Slice(ConstantOfShape(Concat([4], Unsqueeze(Gather(Shape(x), 1)), [256])), ...)
///     y = LSTM(x, W, R, B, , h0, c0)   ->   y = LSTM(x, W, R, B, , , )
///
/// A value is known to be zero when it is an all-zero initializer, a ConstantOfShape whose value
/// is zero (or absent), or a Slice, Reshape, Expand, Squeeze, Unsqueeze, Transpose or Identity
/// of a known zero. Does not fire when: the state is a graph input (callers may feed it), or
/// anything about it is not provably zero.
public struct ZeroInitialStateElimination: GraphPass {
    public static let name = "zero-initial-states"
    public static let summary = "Drop all-zero initial states of LSTM, GRU and RNN (zeros are the default)."
    static let stateInputs: [String: [Int]] = ["LSTM": [5, 6], "GRU": [5], "RNN": [5]]
    static let zeroPreserving: Set<String> = ["Slice", "Reshape", "Expand", "Squeeze", "Unsqueeze", "Transpose", "Identity"]

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        for graph in context.graph.allGraphs {
            for node in graph.nodes where node.normalizedDomain.isEmpty {
                guard let indices = Self.stateInputs[node.opType] else { continue }
                for i in indices where i < node.inputs.count {
                    guard let state = node.inputs[i], Self.isKnownZero(state) else { continue }
                    node.setInput(i, nil)
                    report.changed("\(node.opType) '\(node.name)': dropped all-zero initial state '\(state.name)'")
                }
            }
        }
        return report
    }

    static func isKnownZero(_ value: Value, depth: Int = 0) -> Bool {
        guard depth < 16, !value.isGraphInput else { return false }
        if let t = value.initializer {
            guard let values = try? t.floatValues() else { return false }
            return values.allSatisfy { $0 == 0 }
        }
        guard let producer = value.producer, producer.normalizedDomain.isEmpty else { return false }
        if producer.opType == "ConstantOfShape" {
            guard let fill = producer.attribute("value") else { return true }
            guard let t = fill.tensor, let values = try? t.floatValues() else { return false }
            return values.allSatisfy { $0 == 0 }
        }
        if zeroPreserving.contains(producer.opType), let input = producer.inputs.first ?? nil {
            return isKnownZero(input, depth: depth + 1)
        }
        return false
    }
}
