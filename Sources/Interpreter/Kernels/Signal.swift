import Foundation
import ONNXIR

/// HannWindow, HammingWindow, BlackmanWindow (opset 17): a window of `size` samples in
/// `output_datatype`; `periodic` (default) divides by size, symmetric by size - 1.
final class WindowKernel: Kernel {
    enum Kind { case hann, hamming, blackman }
    let kind: Kind
    let isPeriodic: Bool
    let outputType: DataType

    init(_ ctx: KernelBuildContext, kind: Kind) throws {
        self.kind = kind
        isPeriodic = try ctx.int("periodic", default: 1) != 0
        let code = try ctx.int("output_datatype", default: 1)
        let t = DataType(rawValue: Int32(code))
        guard t.isKnown else { throw ctx.fail("unknown output_datatype \(code)") }
        outputType = t
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        guard let size = try Require.input(inputs, 0, "size").intValues().first, size >= 0 else {
            throw KernelFailure("size must be a non-negative scalar")
        }
        let n = Double(isPeriodic ? size : size - 1)
        let values: [Double] = (0..<size).map { i in
            let x = 2 * Double.pi * Double(i) / n
            switch kind {
            case .hann: return 0.5 - 0.5 * cos(x)
            case .hamming: return 25.0 / 46.0 - (21.0 / 46.0) * cos(x)
            case .blackman: return 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x)
            }
        }
        if outputType.isFloatingPoint { return [try FloatIO.make(outputType, [size], values, context)] }
        return [try CastKernel.convert(RuntimeTensor.float32([size], values.map(Float.init)), to: outputType, saturate: true, context)]
    }
}

enum SignalKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("HannWindow", since: 17) { try WindowKernel($0, kind: .hann) },
        KernelDescriptor("HammingWindow", since: 17) { try WindowKernel($0, kind: .hamming) },
        KernelDescriptor("BlackmanWindow", since: 17) { try WindowKernel($0, kind: .blackman) },
    ]
}
