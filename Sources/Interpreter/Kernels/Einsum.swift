import ONNXIR

/// Einsum. Two float32 operands without repeated or one-sided summed labels become transposes
/// around a batched sgemm ([batch, m, k] x [batch, k, n]); one operand that is a pure
/// permutation becomes a transpose; anything else (traces, diagonals, sums, three or more
/// operands, broadcast ellipses, other types) runs the direct sum over every label.
final class EinsumKernel: Kernel {
    let equation: String

    init(_ ctx: KernelBuildContext) throws {
        equation = try ctx.string("equation", default: "")
        guard !equation.isEmpty else { throw ctx.fail("missing attribute 'equation'") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let given = inputs.compactMap { $0 }
        // float16/bfloat16 compute in float32 and round back.
        if let narrow = given.first?.dataType, narrow == .float16 || narrow == .bfloat16 {
            let wide = try run(given.map { try HalfPrecision.widen($0, context) }, context)
            return [try HalfPrecision.narrow(wide[0]!, to: narrow, context)]
        }
        let operands = given
        let parsed = try EinsumEquation(equation, ranks: operands.map(\.rank))
        var sizes: [Character: Int] = [:]
        for (labels, t) in zip(parsed.inputs, operands) {
            for (label, size) in zip(labels, t.shape) {
                if let known = sizes[label], known != size {
                    guard known == 1 || size == 1 else { throw KernelFailure("label '\(label)' has sizes \(known) and \(size)") }
                    sizes[label] = Swift.max(known, size)
                } else {
                    sizes[label] = size
                }
            }
        }
        let outShape = parsed.output.map { sizes[$0] ?? 1 }
        let isBroadcast = zip(parsed.inputs, operands).contains { labels, t in zip(labels, t.shape).contains { sizes[$0.0] != $0.1 } }
        if !isBroadcast, operands.allSatisfy({ $0.dataType == .float }) {
            if operands.count == 2, let result = try matmul(parsed, operands, sizes, context) { return [result] }
            if operands.count == 1, Set(parsed.inputs[0]).count == parsed.inputs[0].count, Set(parsed.output) == Set(parsed.inputs[0]) {
                let perm = parsed.output.map { parsed.inputs[0].firstIndex(of: $0)! }
                return [try TransposeKernel.permute(operands[0], viewShape: operands[0].shape, perm: perm, context)]
            }
        }
        let type = operands[0].dataType
        guard operands.allSatisfy({ $0.dataType == type }) else { throw KernelFailure("operands differ in type") }
        let out = try context.zeros(type, outShape)
        switch type {
        case .float: direct(parsed, operands, sizes, out, Float.self)
        case .double: direct(parsed, operands, sizes, out, Double.self)
        case .int64: direct(parsed, operands, sizes, out, Int64.self)
        case .int32: direct(parsed, operands, sizes, out, Int32.self)
        default: throw KernelFailure("type \(type.name) is not supported")
        }
        return [out]
    }

    /// A x B as batched matrix products, or nil when the labels do not fit that pattern.
    private func matmul(_ eq: EinsumEquation, _ operands: [RuntimeTensor], _ sizes: [Character: Int], _ context: ExecutionContext) throws
        -> RuntimeTensor?
    {
        let (a, b, out) = (eq.inputs[0], eq.inputs[1], eq.output)
        guard Set(a).count == a.count, Set(b).count == b.count, Set(out).count == out.count else { return nil }
        let batch = out.filter { a.contains($0) && b.contains($0) }
        let m = out.filter { a.contains($0) && !b.contains($0) }
        let n = out.filter { b.contains($0) && !a.contains($0) }
        let k = a.filter { b.contains($0) && !out.contains($0) }
        guard a.count == batch.count + m.count + k.count, b.count == batch.count + n.count + k.count else { return nil }
        func size(_ labels: [Character]) -> Int { labels.reduce(1) { $0 * sizes[$1]! } }
        // An operand already laid out as [batch, outer, inner] or [batch, inner, outer] is read in
        // place (sgemm transposes the second); any other order is copied into the first.
        func layout(_ t: RuntimeTensor, _ labels: [Character], outer: [Character], inner: [Character]) throws -> (RuntimeTensor, Bool) {
            if labels == batch + outer + inner { return (t, false) }
            if labels == batch + inner + outer { return (t, true) }
            let perm = (batch + outer + inner).map { labels.firstIndex(of: $0)! }
            return (try TransposeKernel.permute(t, viewShape: t.shape, perm: perm, context), false)
        }
        let (lhs, transA) = try layout(operands[0], a, outer: m, inner: k)
        let (rhs, transB) = try layout(operands[1], b, outer: n, inner: k)
        let (batches, rows, inner, cols) = (size(batch), size(m), size(k), size(n))
        let product = try context.allocate(.float, (batch + m + n).map { sizes[$0]! })
        if inner == 0 {
            product.raw.initializeMemory(as: UInt8.self, repeating: 0, count: product.count * 4)
        } else {
            for i in 0..<batches {
                BLAS.sgemm(
                    transA: transA, transB: !transB, m: rows, n: cols, k: inner, alpha: 1, a: lhs.floats.baseAddress! + i * rows * inner,
                    lda: transA ? rows : inner, b: rhs.floats.baseAddress! + i * inner * cols, ldb: transB ? cols : inner, beta: 0,
                    c: product.floats.baseAddress! + i * rows * cols, ldc: cols)
            }
        }
        let produced = batch + m + n
        return try TransposeKernel.permute(product, viewShape: product.shape, perm: out.map { produced.firstIndex(of: $0)! }, context)
    }

    /// out[output labels] = sum over the other labels of the product of the operands.
    private func direct<T: Numeric>(
        _ eq: EinsumEquation, _ operands: [RuntimeTensor], _ sizes: [Character: Int], _ out: RuntimeTensor, _: T.Type
    ) {
        let labels = eq.output + Array(Set(eq.inputs.joined()).subtracting(eq.output)).sorted()
        let dims = labels.map { sizes[$0]! }
        // Per operand, the element stride of each label (summed for repeated labels: diagonals;
        // zero along broadcast dimensions).
        let strides: [[Int]] = zip(eq.inputs, operands).map { inLabels, t in
            let own = StridedCopy.contiguousStrides(t.shape)
            return labels.map { label in
                inLabels.indices.filter { inLabels[$0] == label && t.shape[$0] != 1 }.reduce(0) { $0 + own[$1] }
            }
        }
        let outStrides = labels.indices.map { $0 < eq.output.count ? StridedCopy.contiguousStrides(out.shape)[$0] : 0 }
        let pointers = operands.map { $0.raw.assumingMemoryBound(to: T.self) }
        let dst = out.raw.assumingMemoryBound(to: T.self)
        let total = dims.reduce(1, *)
        if total == 0 { return }
        var index = [Int](repeating: 0, count: labels.count)
        var offsets = [Int](repeating: 0, count: operands.count)
        var o = 0
        for _ in 0..<total {
            var product: T = 1
            for (p, offset) in zip(pointers, offsets) { product *= p[offset] }
            dst[o] += product
            var d = labels.count - 1
            while d >= 0 {
                index[d] += 1
                for k in offsets.indices { offsets[k] += strides[k][d] }
                o += outStrides[d]
                if index[d] < dims[d] { break }
                for k in offsets.indices { offsets[k] -= strides[k][d] * dims[d] }
                o -= outStrides[d] * dims[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// A parsed einsum equation with ellipses expanded into placeholder labels (right-aligned, as
/// NumPy broadcasts them) and the implicit output (labels used once, sorted) made explicit.
struct EinsumEquation {
    let inputs: [[Character]]
    let output: [Character]

    init(_ text: String, ranks: [Int]) throws {
        let cleaned = text.filter { !$0.isWhitespace }
        let sides = cleaned.components(separatedBy: "->")
        guard sides.count <= 2 else { throw KernelFailure("equation '\(text)' has more than one '->'") }
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard terms.count == ranks.count else {
            throw KernelFailure("equation '\(text)' has \(terms.count) operands, the node \(ranks.count)")
        }
        // Placeholders for ellipsis dimensions: private-use characters, aligned from the right.
        let ellipsisRank =
            try zip(terms, ranks).map { term, rank -> Int in
                guard term.contains("...") else { return 0 }
                let named = term.replacingOccurrences(of: "...", with: "").count
                guard rank >= named else { throw KernelFailure("operand '\(term)' names more axes than its rank \(rank)") }
                return rank - named
            }.max() ?? 0
        let placeholders = (0..<ellipsisRank).map { Character(UnicodeScalar(0xE000 + $0)!) }
        func expand(_ term: String, rank: Int) throws -> [Character] {
            guard let range = term.range(of: "...") else {
                guard term.count == rank else { throw KernelFailure("operand '\(term)' has \(term.count) labels for rank \(rank)") }
                return Array(term)
            }
            let named = term.replacingOccurrences(of: "...", with: "").count
            return Array(term[..<range.lowerBound]) + placeholders.suffix(rank - named) + Array(term[range.upperBound...])
        }
        inputs = try zip(terms, ranks).map { try expand($0, rank: $1) }
        if sides.count == 2 {
            output = try expand(
                sides[1], rank: sides[1].replacingOccurrences(of: "...", with: "").count + (sides[1].contains("...") ? ellipsisRank : 0))
        } else {
            let counts = inputs.joined().reduce(into: [Character: Int]()) { $0[$1, default: 0] += 1 }
            output = placeholders + counts.filter { $0.value == 1 && !placeholders.contains($0.key) }.keys.sorted()
        }
        let known = Set(inputs.joined())
        if let stray = output.first(where: { !known.contains($0) }) { throw KernelFailure("output label '\(stray)' is not in any operand") }
    }
}

enum EinsumKernels {
    static let kernels: [KernelDescriptor] = [KernelDescriptor("Einsum", since: 12) { try EinsumKernel($0) }]
}
