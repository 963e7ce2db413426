import ONNXIR

/// GELU as the exporters spell it after a bias Add: x / c (or x * c) -> Erf -> + 1 -> then
/// (x * that) * k (TorchScript) or x * (k * that) (dynamo), with c, 1 and k float32 scalar
/// constants. The Add absorbs the five nodes and applies them to each row it writes, so the four
/// intermediate tensors (each as large as the MLP's hidden layer) are never made.
struct GeluChain: Equatable {
    /// Erf's argument: x / scale, or x * scale.
    let divides: Bool
    let scale: Float
    let one: Float
    let k: Float
    /// x * (k * (erf + one)) instead of (x * (erf + one)) * k.
    let scalesFirst: Bool

    /// In place over p[range], each element computed by the standalone kernels' operations in
    /// the same order (the same Erf loop too), so the bits match the unfused nodes.
    func apply(_ p: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        let chunk = 256
        withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { buffer in
            let t = buffer.baseAddress!
            for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                let n = min(chunk, range.upperBound - start), x = p + start
                if divides {
                    for i in 0..<n { t[i] = x[i] / scale }
                } else {
                    for i in 0..<n { t[i] = x[i] * scale }
                }
                UnaryKernel.applyFloat(.erf, t, t, 0..<n)
                if scalesFirst {
                    for i in 0..<n { x[i] = x[i] * (k * (t[i] + one)) }
                } else {
                    for i in 0..<n { x[i] = (x[i] * (t[i] + one)) * k }
                }
            }
        }
    }
}

extension ActivationFusion {
    /// The GELU chain reading `x` (an Add's output), with its nodes and output, or nil.
    func geluChain(after x: Value) -> (chain: GeluChain, absorbed: [Node], output: Value)? {
        let users = x.userNodes
        guard users.count == 2, users.allSatisfy({ $0.normalizedDomain.isEmpty && $0.graph === x.graph }),
            let scaling = users.first(where: { scale(of: $0, applyingTo: x) != nil }), let scale = scale(of: scaling, applyingTo: x),
            let outer = users.first(where: { $0 !== scaling && $0.opType == "Mul" }),
            let (erf, e) = onlyReader(of: scaling), erf.opType == "Erf",
            let (addOne, a) = onlyReader(of: erf), addOne.opType == "Add", let one = otherConstant(of: addOne, besides: e)
        else { return nil }
        let divides = scaling.opType == "Div"
        guard let (second, y) = onlyReader(of: addOne), second.opType == "Mul" else { return nil }
        if second === outer {
            // x * (erf + 1), then * k.
            guard operands(of: outer) == [ObjectIdentifier(x), ObjectIdentifier(a)], let (last, out) = onlyReader(of: outer),
                last.opType == "Mul", let k = otherConstant(of: last, besides: y)
            else { return nil }
            let chain = GeluChain(divides: divides, scale: scale, one: one, k: k, scalesFirst: false)
            return (chain, [scaling, erf, addOne, outer, last], out)
        }
        // k * (erf + 1), then x * that.
        guard let k = otherConstant(of: second, besides: a), let (reader, out) = onlyReader(of: second), reader === outer,
            operands(of: outer) == [ObjectIdentifier(x), ObjectIdentifier(y)]
        else { return nil }
        let chain = GeluChain(divides: divides, scale: scale, one: one, k: k, scalesFirst: true)
        return (chain, [scaling, erf, addOne, second, outer], out)
    }

    /// Erf's argument scaling: Div(x, c), or Mul of x and c in either order.
    private func scale(of node: Node, applyingTo x: Value) -> Float? {
        if node.opType == "Div" { return node.inputs.count == 2 && node.inputs[0] === x ? scalarConstant(node.inputs[1]) : nil }
        return node.opType == "Mul" ? otherConstant(of: node, besides: x) : nil
    }

    /// The single reader of `node`'s single output, when that output is not observed or a graph
    /// output, and what the reader makes.
    private func onlyReader(of node: Node) -> (node: Node, output: Value)? {
        guard node.outputs.count == 1, let out = node.outputs[0], !hidden(out: out) else { return nil }
        let users = out.userNodes
        guard users.count == 1, let user = users.first, user.normalizedDomain.isEmpty, user.graph === out.graph, user.outputs.count == 1,
            let made = user.outputs[0]
        else { return nil }
        return (user, made)
    }

    /// A value fusion would hide from a graph output or an observer.
    private func hidden(out: Value) -> Bool { out.isGraphOutput || keep.contains(ObjectIdentifier(out)) }

    private func operands(of node: Node) -> Set<ObjectIdentifier> {
        guard node.inputs.count == 2, let a = node.inputs[0], let b = node.inputs[1] else { return [] }
        return [ObjectIdentifier(a), ObjectIdentifier(b)]
    }

    /// The constant scalar that a two-input node combines with `value`.
    private func otherConstant(of node: Node, besides value: Value) -> Float? {
        guard node.inputs.count == 2 else { return nil }
        if node.inputs[0] === value { return scalarConstant(node.inputs[1]) }
        if node.inputs[1] === value { return scalarConstant(node.inputs[0]) }
        return nil
    }
}
