import Foundation
import ONNXIR

/// ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare. Axes come from the attribute
/// before the opset that made them an input (13 for ReduceSum, 18 for the others); no axes means
/// all axes, or the identity when `noop_with_empty_axes` is set. One pass over the input in
/// memory order (see `ReductionLayout`), in the input's type (float16/bfloat16 through float32).
final class ReduceKernel: Kernel {
    enum Op { case sum, mean, max, min, prod, l1, l2, logSum, logSumExp, sumSquare }

    let op: Op
    let keepsDims: Bool
    let isNoopWithEmptyAxes: Bool
    let axesAreInput: Bool
    let attributeAxes: [Int]

    init(_ ctx: KernelBuildContext, _ op: Op, axesInputSince: Int) throws {
        self.op = op
        keepsDims = try ctx.int("keepdims", default: 1) != 0
        axesAreInput = ctx.opset >= axesInputSince
        isNoopWithEmptyAxes = axesAreInput ? try ctx.int("noop_with_empty_axes", default: 0) != 0 : false
        attributeAxes = axesAreInput ? [] : try ctx.ints("axes") ?? []
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        var axes = attributeAxes
        if axesAreInput, inputs.count > 1, let given = inputs[1] { axes = try given.int64Values().map { Int($0) } }
        if axes.isEmpty {
            if isNoopWithEmptyAxes { return [x] }
            axes = Array(0..<x.rank)
        }
        var axisSet = Set<Int>()
        for a in axes {
            guard a >= -x.rank && a < max(x.rank, 1) else { throw KernelFailure("axis \(a) is out of range for rank \(x.rank)") }
            axisSet.insert(a < 0 ? a + x.rank : a)
        }
        let outShape =
            keepsDims
            ? x.shape.enumerated().map { axisSet.contains($0.offset) ? 1 : $0.element }
            : x.shape.enumerated().filter { !axisSet.contains($0.offset) }.map(\.element)
        let layout = ReductionLayout(shape: x.shape, axes: axisSet)
        switch x.dataType {
        case .float: return [try reduceFloat(x, Float.self, layout, outShape, context)]
        case .double: return [try reduceFloat(x, Double.self, layout, outShape, context)]
        case .float16, .bfloat16:
            let wide = try reduceFloat(
                try CastKernel.convert(x, to: .float, saturate: true, context), Float.self, layout, outShape, context)
            return [try CastKernel.convert(wide, to: x.dataType, saturate: true, context)]
        case .int32: return [try reduceInteger(x, Int32.self, layout, outShape, context)]
        case .int64: return [try reduceInteger(x, Int64.self, layout, outShape, context)]
        case .uint32: return [try reduceInteger(x, UInt32.self, layout, outShape, context)]
        case .uint64: return [try reduceInteger(x, UInt64.self, layout, outShape, context)]
        case .int8: return [try reduceInteger(x, Int8.self, layout, outShape, context)]
        case .uint8: return [try reduceInteger(x, UInt8.self, layout, outShape, context)]
        case .int16: return [try reduceInteger(x, Int16.self, layout, outShape, context)]
        case .uint16: return [try reduceInteger(x, UInt16.self, layout, outShape, context)]
        case .bool where op == .max || op == .min: return [try reduceInteger(x, UInt8.self, layout, outShape, context)]
        default: throw KernelFailure("input type \(x.dataType.name) is not supported")
        }
    }

    private func reduceFloat<T: FloatMath>(
        _ x: RuntimeTensor, _: T.Type, _ layout: ReductionLayout, _ outShape: [Int], _ context: ExecutionContext
    ) throws -> RuntimeTensor {
        let out = try context.allocate(x.dataType, outShape)
        let src = x.raw.assumingMemoryBound(to: T.self)
        let acc = out.raw.assumingMemoryBound(to: T.self)
        let n = out.count
        let count = T(layout.reduceCount)
        switch op {
        case .sum, .mean, .logSum:
            Self.fold(src, acc, layout, FloatSum<T>(), context)
            if op == .mean { for i in 0..<n { acc[i] /= count } }
            if op == .logSum { for i in 0..<n { acc[i] = T.logarithm(acc[i]) } }
        case .sumSquare, .l2:
            Self.fold(src, acc, layout, FloatSumOfSquares<T>(), context)
            if op == .l2 { for i in 0..<n { acc[i] = acc[i].squareRoot() } }
        case .l1: Self.fold(src, acc, layout, FloatSumOfMagnitudes<T>(), context)
        case .prod: Self.fold(src, acc, layout, FloatProduct<T>(), context)
        case .max: Self.fold(src, acc, layout, FloatMaximum<T>(), context)
        case .min: Self.fold(src, acc, layout, FloatMinimum<T>(), context)
        case .logSumExp:
            // log(sum(exp(x - m))) + m with m the maximum, so exp never overflows.
            var shifts = [T](repeating: 0, count: n)
            shifts.withUnsafeMutableBufferPointer { buffer in
                let shift = buffer.baseAddress!
                Self.fold(src, shift, layout, FloatMaximum<T>(), context)
                for i in 0..<n where !shift[i].isFinite { shift[i] = 0 }
                Self.fold(src, acc, layout, ShiftedExponentials(shift: shift), context)
                for i in 0..<n { acc[i] = T.logarithm(acc[i]) + shift[i] }
            }
        }
        return out
    }

    private func reduceInteger<T: FixedWidthInteger & SIMDScalar>(
        _ x: RuntimeTensor, _: T.Type, _ layout: ReductionLayout, _ outShape: [Int], _ context: ExecutionContext
    ) throws -> RuntimeTensor {
        switch op {
        case .l2, .logSum, .logSumExp:
            guard x.dataType == .int32 || x.dataType == .int64 else {
                throw KernelFailure("input type \(x.dataType.name) is not supported")
            }
            let wide = try reduceFloat(try HalfPrecision.convert(x, to: .double, context), Double.self, layout, outShape, context)
            return try HalfPrecision.convert(wide, to: x.dataType, context)
        default: break
        }
        let out = try context.allocate(x.dataType, outShape)
        let src = x.raw.assumingMemoryBound(to: T.self)
        let acc = out.raw.assumingMemoryBound(to: T.self)
        switch op {
        case .sum, .mean:
            Self.fold(src, acc, layout, IntegerSum<T>(loading: .value), context)
            if op == .mean, layout.reduceCount > 0 {
                let count = T(truncatingIfNeeded: layout.reduceCount)
                for i in 0..<out.count { acc[i] /= count }
            }
        case .sumSquare: Self.fold(src, acc, layout, IntegerSum<T>(loading: .square), context)
        case .l1: Self.fold(src, acc, layout, IntegerSum<T>(loading: .magnitude), context)
        case .prod: Self.fold(src, acc, layout, IntegerProduct<T>(), context)
        case .max: Self.fold(src, acc, layout, IntegerMaximum<T>(), context)
        case .min: Self.fold(src, acc, layout, IntegerMinimum<T>(top: x.dataType == .bool ? 1 : T.max), context)
        case .l2, .logSum, .logSumExp: break
        }
        return out
    }

    /// acc[o] = the rule's fold of every input element reduced into o. Rows whose last axis is
    /// reduced fold eight lanes at a time; rows whose last axis is kept accumulate elementwise.
    /// Threads split the outermost kept dimension, or the kept row when the outermost is reduced.
    private static func fold<R: ReductionRule>(
        _ src: UnsafeMutablePointer<R.Element>, _ acc: UnsafeMutablePointer<R.Element>, _ layout: ReductionLayout, _ rule: R,
        _ context: ExecutionContext
    ) {
        typealias Lanes = SIMD8<R.Element>
        acc.initialize(repeating: rule.identity, count: layout.outputCount)
        let length = layout.rowLength
        func work(_ rows: Range<Int>, _ inner: Range<Int>) {
            if layout.lastIsReduced {
                layout.forEachRow(rows) { r, o in
                    let row = UnsafeRawPointer(src + r * length)
                    let stride = MemoryLayout<R.Element>.stride
                    // Two vector accumulators: shorter dependency chains, a pairwise-like sum.
                    var (v0, v1) = (Lanes(repeating: rule.identity), Lanes(repeating: rule.identity))
                    var i = 0
                    while i + 16 <= length {
                        v0 = rule.combine(v0, rule.load(row.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self), o))
                        v1 = rule.combine(v1, rule.load(row.loadUnaligned(fromByteOffset: (i + 8) * stride, as: Lanes.self), o))
                        i += 16
                    }
                    if i + 8 <= length {
                        v0 = rule.combine(v0, rule.load(row.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self), o))
                        i += 8
                    }
                    let lanes = rule.combine(v0, v1)
                    var total = rule.identity
                    for k in 0..<8 { total = rule.combine(total, lanes[k]) }
                    let scalars = src + r * length
                    while i < length {
                        total = rule.combine(total, rule.load(scalars[i], o))
                        i += 1
                    }
                    acc[o] = rule.combine(acc[o], total)
                }
            } else {
                layout.forEachRow(rows) { r, o in
                    let row = src + r * length
                    let target = acc + o
                    for i in inner { target[i] = rule.combine(target[i], rule.load(row[i], o + i)) }
                }
            }
        }
        let rows = layout.rowCount
        if rows == 0 || length == 0 { return }
        let grain = 32768
        if layout.dims.count >= 2 && !layout.isReduced[0] {
            let perFirst = rows / layout.dims[0]
            context.parallelFor(layout.dims[0], grain: max(1, grain / max(1, perFirst * length))) { c in
                work(c.lowerBound * perFirst..<c.upperBound * perFirst, 0..<length)
            }
        } else if layout.dims.count >= 2 && !layout.lastIsReduced {
            context.parallelFor(length, grain: max(16, grain / max(1, rows))) { inner in work(0..<rows, inner) }
        } else {
            work(0..<rows, 0..<length)
        }
    }
}

enum ReductionKernels {
    private static func reduce(_ name: String, _ op: ReduceKernel.Op, axesInputSince: Int = 18) -> KernelDescriptor {
        KernelDescriptor(name) { try ReduceKernel($0, op, axesInputSince: axesInputSince) }
    }

    static let kernels: [KernelDescriptor] = [
        reduce("ReduceSum", .sum, axesInputSince: 13), reduce("ReduceMean", .mean), reduce("ReduceMax", .max),
        reduce("ReduceMin", .min), reduce("ReduceProd", .prod), reduce("ReduceL1", .l1), reduce("ReduceL2", .l2),
        reduce("ReduceLogSum", .logSum), reduce("ReduceLogSumExp", .logSumExp), reduce("ReduceSumSquare", .sumSquare),
    ]
}
