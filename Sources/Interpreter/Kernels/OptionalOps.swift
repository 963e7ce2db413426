import ONNXIR

/// OptionalHasElement and OptionalGetElement (opset 15, 18): an optional is its element (tensor
/// or sequence), an empty-optional value, or an absent input.
final class OptionalKernel: Kernel {
    let isGet: Bool

    init(get: Bool) { isGet = get }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let value = (inputs.first ?? nil).flatMap { $0.isEmptyOptional ? nil : $0 }
        if isGet {
            guard let value else { throw KernelFailure("OptionalGetElement of an empty optional") }
            return [value]
        }
        let out = try context.allocate(.bool, [])
        out.raw.storeBytes(of: value == nil ? 0 : 1, as: UInt8.self)
        return [out]
    }
}

enum OptionalKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("OptionalHasElement", since: 15) { _ in OptionalKernel(get: false) },
        KernelDescriptor("OptionalGetElement", since: 15) { _ in OptionalKernel(get: true) },
    ]
}
