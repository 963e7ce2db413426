import ONNXIR

/// Checks fed tensors against the graph's declared inputs (name, dtype, rank, fixed dims) before
/// anything runs, and orders them as the graph lists its inputs.
enum InputValidation {
    static func bind(_ feeds: [String: RuntimeTensor], to graph: Graph) throws -> [RuntimeTensor?] {
        let known = Set(graph.inputs.map(\.name))
        if let unknown = feeds.keys.sorted().first(where: { !known.contains($0) }) {
            let expected = graph.inputs.filter { !$0.isInitializer }.map { "'\($0.name)'" }.joined(separator: ", ")
            throw InterpreterError.invalidInput("unknown input '\(unknown)'; the model's inputs are \(expected)")
        }
        return try graph.inputs.map { input -> RuntimeTensor? in
            guard let tensor = feeds[input.name] else {
                if input.isInitializer { return nil }
                throw InterpreterError.invalidInput("missing input '\(input.name)'\(describe(input.type))")
            }
            guard let type = input.type, case .tensor(let elementType, let shape) = type.kind else { return tensor }
            if elementType != .undefined && elementType != tensor.dataType {
                throw InterpreterError.invalidInput("input '\(input.name)' must be \(elementType.name), got \(tensor.dataType.name)")
            }
            if let shape {
                guard shape.rank == tensor.rank else {
                    throw InterpreterError.invalidInput(
                        "input '\(input.name)' must have rank \(shape.rank) \(shape), got rank \(tensor.rank) \(tensor.shape)")
                }
                for (i, d) in shape.dimensions.enumerated() {
                    if let v = d.value, v != Int64(tensor.shape[i]) {
                        throw InterpreterError.invalidInput(
                            "input '\(input.name)' must have shape \(shape), got \(tensor.shape) (dim \(i) is \(tensor.shape[i]), expected \(v))"
                        )
                    }
                }
            }
            return tensor
        }
    }

    private static func describe(_ type: ValueType?) -> String {
        guard let type else { return "" }
        return " (\(type))"
    }
}
