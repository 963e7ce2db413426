import ONNXIR

/// Two Adds (or two Muls) by constants in a row become one, with the constants combined.
///
///     Add(Add(x, c1), c2)   ->   Add(x, c1 + c2)      (token + position + segment embeddings)
///     Mul(Mul(x, c1), c2)   ->   Mul(x, c1 * c2)
///
/// Broadcasting is associative, so the result's shape is unchanged; the sum is rounded once
/// instead of twice (differences of an ulp). Does not fire when: x is itself constant (constant
/// folding's); c1 and c2 are not both float32; combining them would make a tensor larger than
/// either (c1: [3, 1], c2: [1, 4]) or larger than 16 M elements; the first node's output has
/// other readers or is a graph output.
struct FoldConstantChain: RewritePattern {
    let name = "FoldConstantChain"
    let anchorOps: Set<String> = ["Add", "Mul"]

    static let largestCombined = 1 << 24

    func match(_ node: Node, in context: MatchContext) -> PatternMatch {
        guard node.isDefaultDomain, node.inputs.count == 2, let (mid, c2) = split(node) else { return .notApplicable }
        guard let first = context.producer(of: mid, op: [node.opType]), first.inputs.count == 2, let (x, c1) = split(first) else {
            return .notApplicable
        }
        if let problem = context.absorptionProblem(mid, into: node) { return .skipped(candidate: label(node), reason: problem) }
        guard let a = ConstantValues.float32(c1), let b = ConstantValues.float32(c2) else {
            return .skipped(candidate: label(node), reason: "the constants of \(label(first)) and \(label(node)) are not both float32")
        }
        guard let dims = Self.broadcast(a.tensor.dims, b.tensor.dims), let count = TensorShape.elementCount(of: dims),
            count <= max(a.values.count, b.values.count), count <= Self.largestCombined
        else {
            return .skipped(candidate: label(node), reason: "combining the constants would make a larger tensor")
        }
        let combined = Self.combine(a.values, a.tensor.dims, b.values, b.tensor.dims, into: dims, node.opType == "Add" ? (+) : (*))
        var bound = Bindings("merged \(label(first)) into \(label(node)): one constant \(node.opType)")
        bound.nodes["first"] = first
        bound.nodes["second"] = node
        bound.values["x"] = x
        bound.tensors["combined"] = .float32(dims: dims, values: combined)
        return .matched(bound)
    }

    func rewrite(_ bound: Bindings, with rewriter: Rewriter) throws {
        let second = bound.nodes["second"]!
        let constant = rewriter.addInitializer(bound.tensors["combined"]!, baseName: second.name + "_constant")
        rewriter.setInput(second, 0, bound.values["x"]!)
        rewriter.setInput(second, 1, constant)
        rewriter.eraseWithDeadProducers(bound.nodes["first"]!)
    }

    /// The computed operand and the constant one of a commutative binary node.
    private func split(_ node: Node) -> (Value, Value)? {
        guard let lhs = node.input(0), let rhs = node.input(1) else { return nil }
        switch (ConstantValues.isConstant(lhs), ConstantValues.isConstant(rhs)) {
        case (false, true): return (lhs, rhs)
        case (true, false): return (rhs, lhs)
        default: return nil
        }
    }

    /// Numpy broadcasting of two static shapes; nil when they do not broadcast.
    static func broadcast(_ a: [Int64], _ b: [Int64]) -> [Int64]? {
        let rank = max(a.count, b.count)
        let pa = [Int64](repeating: 1, count: rank - a.count) + a
        let pb = [Int64](repeating: 1, count: rank - b.count) + b
        var out: [Int64] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { return nil }
            out.append(x == 1 ? y : x)
        }
        return out
    }

    /// `op` elementwise over `a` and `b` broadcast to `dims`.
    static func combine(
        _ a: [Float], _ aDims: [Int64], _ b: [Float], _ bDims: [Int64], into dims: [Int64], _ op: (Float, Float) -> Float
    ) -> [Float] {
        func strides(_ d: [Int64]) -> [Int] {
            let padded = [Int64](repeating: 1, count: dims.count - d.count) + d
            var result = [Int](repeating: 0, count: dims.count)
            var step = 1
            for i in stride(from: dims.count - 1, through: 0, by: -1) {
                result[i] = padded[i] == 1 ? 0 : step
                step *= Int(padded[i])
            }
            return result
        }
        let sa = strides(aDims), sb = strides(bDims)
        let count = dims.reduce(1) { $0 * Int($1) }
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: dims.count)
        for flat in 0..<count {
            var ia = 0, ib = 0
            for axis in 0..<dims.count {
                ia += index[axis] * sa[axis]
                ib += index[axis] * sb[axis]
            }
            out[flat] = op(a[ia], b[ib])
            var axis = dims.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < Int(dims[axis]) { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }
}
