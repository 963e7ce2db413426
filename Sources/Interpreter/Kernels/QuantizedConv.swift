import ONNXIR

/// QLinearConv and ConvInteger through the float Conv kernel: operands are shifted by their zero
/// points (exact small integers in float32), convolved, then rescaled and re-quantized (QLinearConv)
/// or rounded back to int32 (ConvInteger). Accumulations stay exact while |sum| < 2^24, which
/// holds for int8 kernels up to ~1000 taps; beyond, results may differ by one quantization step.
final class QuantizedConvKernel: Kernel {
    let conv: any Kernel
    let isLinear: Bool

    init(_ ctx: KernelBuildContext, linear: Bool) throws {
        isLinear = linear
        guard let descriptor = KernelRegistry.standard.lookup(domain: "", op: "Conv", opset: max(ctx.opset, 11)) else {
            throw InterpreterError.unsupportedOp(op: ctx.node.opType, domain: "", opset: ctx.opset, node: ctx.node.name)
        }
        conv = try descriptor.make(ctx)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        if isLinear {
            let x = try Require.input(inputs, 0), xs = try Require.input(inputs, 1), xz = inputs[2]
            let w = try Require.input(inputs, 3), ws = try Require.input(inputs, 4), wz = inputs[5]
            let ys = try Require.input(inputs, 6), yz = inputs.count > 7 ? inputs[7] : nil
            let bias = inputs.count > 8 ? inputs[8] : nil
            let xf = try shifted(x, xz, perChannel: false, context)
            let wf = try shifted(w, wz, perChannel: true, context)
            let acc = try conv.run([xf, wf], context)[0]!
            let sx = try xs.floatValues()[0], sw = try ws.floatValues(), sy = try ys.floatValues()[0]
            let b = try bias.map { try $0.int64Values() }
            let type = yz?.dataType ?? x.dataType
            let (low, high) = try QuantizedElements.range(type)
            let zy = yz.map { Float(QuantizedElements.load($0, 0)) } ?? 0
            let out = try context.allocate(type, acc.shape)
            let channels = acc.shape[1], spatial = acc.shape.dropFirst(2).reduce(1, *)
            let values = acc.floats
            for i in 0..<acc.count {
                let c = (i / spatial) % channels
                let total = values[i].rounded() + Float(b?[c] ?? 0)
                let q = (total * sx * sw[sw.count == 1 ? 0 : c] / sy).roundedHalfEven + zy
                QuantizedElements.store(out, i, Int32(Swift.min(Swift.max(q, low), high)))
            }
            return [out]
        }
        let x = try Require.input(inputs, 0), w = try Require.input(inputs, 1)
        let xz = inputs.count > 2 ? inputs[2] : nil, wz = inputs.count > 3 ? inputs[3] : nil
        let acc = try conv.run([try shifted(x, xz, perChannel: false, context), try shifted(w, wz, perChannel: true, context)], context)[0]!
        let out = try context.allocate(.int32, acc.shape)
        let po = out.elements(Int32.self)
        for i in 0..<acc.count { po[i] = Int32(acc.floats[i].rounded()) }
        return [out]
    }

    /// (q - zero_point) as float32; per output channel (axis 0) for weights when the zero point
    /// has one entry per channel.
    private func shifted(_ q: RuntimeTensor, _ zero: RuntimeTensor?, perChannel: Bool, _ context: ExecutionContext) throws -> RuntimeTensor
    {
        let out = try context.allocate(.float, q.shape)
        let per = q.count / max(q.shape.first ?? 1, 1)
        for i in 0..<q.count {
            let z = zero.map { QuantizedElements.load($0, perChannel && $0.count > 1 ? i / per : 0) } ?? 0
            out.floats[i] = Float(QuantizedElements.load(q, i) - z)
        }
        return out
    }
}

extension QuantizationKernels {
    static let convKernels: [KernelDescriptor] = [
        KernelDescriptor("QLinearConv", since: 10) { try QuantizedConvKernel($0, linear: true) },
        KernelDescriptor("ConvInteger", since: 10) { try QuantizedConvKernel($0, linear: false) },
    ]
}
