import ONNXIR

/// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes and
/// zeroes the rest; k is an optional scalar input.
final class TriluKernel: Kernel {
    let isUpper: Bool
    init(_ ctx: KernelBuildContext) throws { isUpper = try ctx.int("upper", default: 1) != 0 }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank >= 2 else { throw KernelFailure("input must have rank 2 or more, got \(x.shape)") }
        let requestedK = try (inputs.count > 1 ? inputs[1] : nil)?.intValues().first ?? 0
        let width = try Axis.elementBytes(x.dataType)
        let out = try context.allocate(x.dataType, x.shape)
        out.raw.copyMemory(from: x.raw, byteCount: x.count * width)
        let (rows, cols) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        let k = Swift.max(Swift.min(requestedK, rows + cols), -(rows + cols))
        let matrices = rows * cols == 0 ? 0 : x.count / (rows * cols)
        for m in 0..<matrices {
            for i in 0..<rows {
                // Columns to clear in row i: [0, i + k) for upper, (i + k, cols) for lower.
                let (from, to) = isUpper ? (0, Swift.min(Swift.max(i + k, 0), cols)) : (Swift.min(Swift.max(i + k + 1, 0), cols), cols)
                if from < to {
                    (out.raw + ((m * rows + i) * cols + from) * width).initializeMemory(
                        as: UInt8.self, repeating: 0, count: (to - from) * width)
                }
            }
        }
        return [out]
    }
}

enum TriluKernels {
    static let kernels: [KernelDescriptor] = [KernelDescriptor("Trilu", since: 14) { try TriluKernel($0) }]
}
