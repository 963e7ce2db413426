import ONNXIR

/// Finds Conv nodes whose output only feeds an activation (Relu, LeakyRelu, Clip with constant
/// bounds, Sigmoid, Tanh, HardSigmoid, HardSwish, or x * Sigmoid(x)), so the plan runs the pair
/// as one step: the Conv applies the activation to its output while it is in cache, and the
/// intermediate tensor never exists. A pair is left alone when the Conv's output is a graph
/// output, is read by anything else (including a subgraph), or its weights are not a float32
/// initializer (16-bit Convs round between the two ops). A residual Add followed only by a Relu
/// fuses the same way (the Add applies it to each row it writes), and so does a bias Add followed
/// by the exported GELU chain (GeluFusion.swift).
struct ActivationFusion {
    struct Pair {
        let activation: FusedActivation
        /// Nodes the Conv absorbs, and the value the fused step produces.
        let absorbed: [Node]
        let output: Value
    }

    let compiler: PlanCompiler
    /// Values an observer reads: a pair that would hide one of them is left alone.
    var keep: Set<ObjectIdentifier> = []

    /// Fused pairs keyed by the Conv node.
    func pairs(in graph: Graph) throws -> [ObjectIdentifier: Pair] {
        var result: [ObjectIdentifier: Pair] = [:]
        for node in graph.nodes where node.opType == "Conv" && node.normalizedDomain.isEmpty && node.outputs.count == 1 {
            guard node.inputs.count > 1, node.inputs[1]?.initializer?.dataType == .float,
                let out = node.outputs[0], !out.isGraphOutput, !keep.contains(ObjectIdentifier(out))
            else { continue }
            if let pair = try pair(after: out) { result[ObjectIdentifier(node)] = pair }
        }
        // A residual Add followed by a Relu (ResNet's blocks): the Add applies it per row.
        for node in graph.nodes where node.opType == "Add" && node.normalizedDomain.isEmpty && node.inputs.count == 2 {
            guard let out = node.outputs.first ?? nil, node.outputs.count == 1, !out.isGraphOutput, !keep.contains(ObjectIdentifier(out)),
                let (user, relu) = soleReader(of: out), user.opType == "Relu"
            else { continue }
            result[ObjectIdentifier(node)] = Pair(activation: .unary(.relu), absorbed: [user], output: relu)
        }
        // A bias Add followed by the exported GELU chain (BERT's MLP).
        for node in graph.nodes where node.opType == "Add" && node.normalizedDomain.isEmpty && node.inputs.count == 2 {
            guard result[ObjectIdentifier(node)] == nil, let out = node.outputs.first ?? nil, node.outputs.count == 1, !out.isGraphOutput,
                !keep.contains(ObjectIdentifier(out)), let gelu = geluChain(after: out)
            else { continue }
            result[ObjectIdentifier(node)] = Pair(activation: .gelu(gelu.chain), absorbed: gelu.absorbed, output: gelu.output)
        }
        return result
    }

    /// The one node reading `value`, as its first input, when it is a standard op of the same
    /// graph with a single output; and that output.
    private func soleReader(of value: Value) -> (node: Node, output: Value)? {
        let users = value.userNodes
        guard users.count == 1, let user = users.first, user.normalizedDomain.isEmpty, user.graph === value.graph,
            user.inputs.first ?? nil === value, user.outputs.count == 1, let out = user.outputs[0]
        else { return nil }
        return (user, out)
    }

    private func pair(after value: Value) throws -> Pair? {
        if let (user, out) = soleReader(of: value), let activation = try activation(of: user) {
            return Pair(activation: activation, absorbed: [user], output: out)
        }
        let users = value.userNodes
        guard users.allSatisfy({ $0.normalizedDomain.isEmpty && $0.graph === value.graph }) else { return nil }
        // x * Sigmoid(x) (SiLU / Swish as exported): the Sigmoid feeds only the Mul.
        if users.count == 2, let sigmoid = users.first(where: { $0.opType == "Sigmoid" }),
            let mul = users.first(where: { $0.opType == "Mul" }), let s = sigmoid.outputs.first ?? nil,
            s.userNodes.count == 1, s.userNodes[0] === mul, !s.isGraphOutput, !keep.contains(ObjectIdentifier(s)), mul.inputs.count == 2,
            Set([ObjectIdentifier(mul.inputs[0]!), ObjectIdentifier(mul.inputs[1]!)]) == [ObjectIdentifier(value), ObjectIdentifier(s)],
            let out = mul.outputs.first ?? nil
        {
            return Pair(activation: .unary(.swish(alpha: 1)), absorbed: [sigmoid, mul], output: out)
        }
        return nil
    }

    /// What `node` computes as a fused activation, or nil when it cannot be fused.
    private func activation(of node: Node) throws -> FusedActivation? {
        if node.opType == "Clip" { return clipBounds(node).map { .clip(lo: $0.lo, hi: $0.hi) } }
        guard ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish"].contains(node.opType),
            let unary = try compiler.makeKernel(for: node) as? UnaryKernel
        else { return nil }
        return FusedActivation.of(unary.op)
    }

    /// Clip's bounds when they are attributes (opset < 11) or constant float scalars.
    private func clipBounds(_ node: Node) -> (lo: Float, hi: Float)? {
        if compiler.opset(for: "") < 11 {
            let lo = node.attribute("min")?.float ?? -Float.greatestFiniteMagnitude
            let hi = node.attribute("max")?.float ?? Float.greatestFiniteMagnitude
            return (lo, hi)
        }
        // An absent bound is open; one that is not a constant float scalar stops the fusion (nil).
        func bound(_ index: Int, _ absent: Float) -> Float? {
            guard index < node.inputs.count, node.inputs[index] != nil else { return absent }
            return scalarConstant(node.inputs[index])
        }
        guard let lo = bound(1, -.infinity), let hi = bound(2, .infinity) else { return nil }
        return (lo, hi)
    }

    /// The value of a float32 initializer or Constant holding one element.
    func scalarConstant(_ value: Value?) -> Float? {
        guard let v = value else { return nil }
        let tensor = v.initializer ?? (v.producer?.opType == "Constant" ? v.producer?.attribute("value")?.tensor : nil)
        guard let tensor, tensor.dataType == .float, let runtime = try? RuntimeTensor(tensor), runtime.count == 1 else { return nil }
        return runtime.floats[0]
    }
}
