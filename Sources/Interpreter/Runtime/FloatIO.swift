import ONNXIR

/// Reads any floating-point tensor as Double and writes Double results back in a requested float
/// type. Kernels of rarely hot ops (losses, the less common normalizations, signal ops) compute in
/// float64 this way so one code path serves float32, float64, float16 and bfloat16 with at least
/// the precision the spec asks for; the rounding to the output type happens once, at the end.
enum FloatIO {
    static func doubles(_ t: RuntimeTensor) throws -> [Double] {
        switch t.dataType {
        case .double: return Array(t.elements(Double.self))
        case .float: return t.floats.map(Double.init)
        default:
            guard t.dataType.isFloatingPoint else { return try t.int64Values().map(Double.init) }
            return try t.floatValues().map(Double.init)
        }
    }

    /// A new tensor of `type` holding `values` rounded to nearest even (float8 saturates). The
    /// 16-bit types go through float32, which rounds twice; that differs from a single rounding
    /// only when the float32 value lands exactly on a 16-bit tie, which we accept.
    static func make(_ type: DataType, _ shape: [Int], _ values: [Double], _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(type, shape)
        guard values.count == out.count else { throw KernelFailure("internal: \(values.count) values for shape \(shape)") }
        switch type {
        case .double: for i in 0..<values.count { out.elements(Double.self)[i] = values[i] }
        case .float: for i in 0..<values.count { out.floats[i] = Float(values[i]) }
        case .float16:
            let p = out.raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<values.count { p[i] = ElementConversion.floatToHalf(Float(values[i])) }
        case .bfloat16:
            let p = out.raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<values.count { p[i] = ElementConversion.floatToBFloat16(Float(values[i])) }
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz:
            let encoder = try Float8Encoder(type)
            let p = out.raw.assumingMemoryBound(to: UInt8.self)
            for i in 0..<values.count { p[i] = encoder.encode(Float(values[i]), saturate: true) }
        default: throw KernelFailure("cannot write \(type.name) results")
        }
        return out
    }

    /// A rounding function that maps a Double to the nearest value of `type` (as Double), for
    /// kernels that must reproduce the reference's step-by-step rounding in 16-bit types.
    static func rounding(_ type: DataType) -> @Sendable (Double) -> Double {
        switch type {
        case .float: return { Double(Float($0)) }
        case .float16: return { Double(ElementConversion.halfToFloat(ElementConversion.floatToHalf(Float($0)))) }
        case .bfloat16:
            return { Double(Float(bitPattern: UInt32(ElementConversion.floatToBFloat16(Float($0))) << 16)) }
        default: return { $0 }
        }
    }
}
