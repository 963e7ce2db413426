import Foundation
import ONNXIR

/// Unique (opset 11): the distinct elements (or, with `axis`, the distinct slices along it), sorted
/// ascending (`sorted`, the default; slices compare lexicographically) or in order of first
/// occurrence, with the first-occurrence indices, each input element's (slice's) position in Y
/// and the counts.
final class UniqueKernel: Kernel {
    let axis: Int?
    let isSorted: Bool

    init(_ ctx: KernelBuildContext) throws {
        axis = try ctx.int("axis")
        isSorted = try ctx.int("sorted", default: 1) != 0
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let a = try axis.map { try Axis.normalize($0, rank: x.rank) }
        let (outer, n, inner) = a.map { (x.shape[..<$0].reduce(1, *), x.shape[$0], x.shape[($0 + 1)...].reduce(1, *)) } ?? (1, x.count, 1)
        // Slices as rows of comparable keys: doubles for numbers (exact for the types Unique
        // takes up to 2^53), strings as bytes.
        let numbers = x.dataType == .string ? [] : try FloatIO.doubles(x)
        let strings = x.strings ?? []
        func element(_ slice: Int, _ k: Int) -> Int { (k / inner * n + slice) * inner + k % inner }
        let width = outer * inner
        func less(_ p: Int, _ q: Int) -> Bool {
            for k in 0..<width {
                let (i, j) = (element(p, k), element(q, k))
                if x.dataType == .string {
                    if strings[i] != strings[j] { return strings[i].lexicographicallyPrecedes(strings[j]) }
                } else if numbers[i] != numbers[j] {
                    return numbers[i] < numbers[j]
                }
            }
            return false
        }
        func equal(_ p: Int, _ q: Int) -> Bool { !less(p, q) && !less(q, p) }
        // Stable sort of slice numbers; groups of equal slices then start at their first occurrence.
        let order = (0..<n).sorted { less($0, $1) || (!less($1, $0) && $0 < $1) }
        var groups: [(first: Int, members: [Int])] = []
        for s in order {
            if let last = groups.last, equal(last.first, s) { groups[groups.count - 1].members.append(s) } else { groups.append((s, [s])) }
        }
        if !isSorted { groups.sort { $0.first < $1.first } }
        var inverse = [Int64](repeating: 0, count: n)
        for (g, group) in groups.enumerated() { for s in group.members { inverse[s] = Int64(g) } }
        var shape = x.shape
        if let a { shape[a] = groups.count } else { shape = [groups.count] }
        let firsts = groups.map(\.first)
        let y: RuntimeTensor
        if x.dataType == .string {
            var values: [[UInt8]] = []
            for o in 0..<outer { for s in firsts { for i in 0..<inner { values.append(strings[(o * n + s) * inner + i]) } } }
            y = context.strings(shape, values)
        } else {
            let bytes = try Axis.elementBytes(x.dataType)
            y = try context.allocate(x.dataType, shape)
            var offset = 0
            for o in 0..<outer {
                for s in firsts {
                    (y.raw + offset).copyMemory(from: x.raw + (o * n + s) * inner * bytes, byteCount: inner * bytes)
                    offset += inner * bytes
                }
            }
        }
        return [
            y, RuntimeTensor.int64([groups.count], firsts.map(Int64.init)), RuntimeTensor.int64([n], inverse),
            RuntimeTensor.int64([groups.count], groups.map { Int64($0.members.count) }),
        ]
    }
}

/// ReverseSequence (opset 10): for each batch entry b, reverses its first sequence_lens[b]
/// elements along `time_axis` (`batch_axis` and `time_axis` are 0 and 1 in either order).
final class ReverseSequenceKernel: Kernel {
    let batchAxis: Int, timeAxis: Int

    init(_ ctx: KernelBuildContext) throws {
        batchAxis = try ctx.int("batch_axis", default: 1)
        timeAxis = try ctx.int("time_axis", default: 0)
        guard Set([batchAxis, timeAxis]) == [0, 1] else { throw ctx.fail("batch_axis and time_axis must be 0 and 1") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), lens = try Require.input(inputs, 1, "sequence_lens").intValues()
        guard x.rank >= 2, lens.count == x.shape[batchAxis] else {
            throw KernelFailure("sequence_lens needs \(x.rank >= 2 ? x.shape[batchAxis] : 0) values")
        }
        guard lens.allSatisfy({ $0 >= 0 && $0 <= x.shape[timeAxis] }) else { throw KernelFailure("a sequence length is out of range") }
        let (d0, d1) = (x.shape[0], x.shape[1])
        let per = x.shape.dropFirst(2).reduce(1, *)
        // Row (i, j) of the output comes from row (si, sj) of the input.
        func source(_ i: Int, _ j: Int) -> Int {
            let (b, t) = batchAxis == 0 ? (i, j) : (j, i)
            let from = t < lens[b] ? lens[b] - 1 - t : t
            let (si, sj) = batchAxis == 0 ? (b, from) : (from, b)
            return si * d1 + sj
        }
        if let strings = x.strings {
            var values = strings
            for i in 0..<d0 { for j in 0..<d1 { for k in 0..<per { values[(i * d1 + j) * per + k] = strings[source(i, j) * per + k] } } }
            return [context.strings(x.shape, values)]
        }
        let inner = per * (try Axis.elementBytes(x.dataType))
        let out = try context.allocate(x.dataType, x.shape)
        for i in 0..<d0 {
            for j in 0..<d1 { (out.raw + (i * d1 + j) * inner).copyMemory(from: x.raw + source(i, j) * inner, byteCount: inner) }
        }
        return [out]
    }
}

/// CenterCropPad (opset 18): each listed axis is cropped (centered, the extra element at the end)
/// or zero-padded (likewise) to the requested size.
final class CenterCropPadKernel: Kernel {
    let axes: [Int]?

    init(_ ctx: KernelBuildContext) throws { axes = try ctx.ints("axes") }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), sizes = try Require.input(inputs, 1, "shape").intValues()
        let axes = try (self.axes ?? Array(0..<x.rank)).map { try Axis.normalize($0, rank: x.rank) }
        guard sizes.count == axes.count else { throw KernelFailure("shape needs \(axes.count) values") }
        var shape = x.shape
        // Offset of the output's origin in the input per axis (negative when padding).
        var shift = [Int](repeating: 0, count: x.rank)
        for (a, s) in zip(axes, sizes) {
            guard s >= 0 else { throw KernelFailure("negative size \(s)") }
            shape[a] = s
            shift[a] = s <= x.shape[a] ? (x.shape[a] - s) / 2 : -((s - x.shape[a]) / 2)
        }
        let bytes = try Axis.elementBytes(x.dataType)
        let out = try context.zeros(x.dataType, shape)
        let inStrides = Self.strides(x.shape)
        var index = [Int](repeating: 0, count: x.rank)
        for o in 0..<out.count {
            var source = 0, inside = true
            for d in 0..<x.rank {
                let i = index[d] + shift[d]
                if i < 0 || i >= x.shape[d] { inside = false; break }
                source += i * inStrides[d]
            }
            if inside { (out.raw + o * bytes).copyMemory(from: x.raw + source * bytes, byteCount: bytes) }
            MultiIndex.advance(&index, shape)
        }
        return [out]
    }

    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { s[d] = s[d + 1] * shape[d + 1] }
        return s
    }
}

enum ReorderingKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("Unique", since: 11) { try UniqueKernel($0) },
        KernelDescriptor("ReverseSequence", since: 10) { try ReverseSequenceKernel($0) },
        KernelDescriptor("CenterCropPad", since: 18) { try CenterCropPadKernel($0) },
    ]
}
