import ONNXIR

/// Conversions kernels use to compute 16-bit float types in float32 and to align mixed types.
enum HalfPrecision {
    static func widen(_ t: RuntimeTensor, _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(.float, t.shape)
        let values = try t.floatValues()
        _ = values.withUnsafeBufferPointer { out.floats.baseAddress!.update(from: $0.baseAddress!, count: values.count) }
        return out
    }

    static func narrow(_ t: RuntimeTensor, to type: DataType, _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(type, t.shape)
        let dst = out.raw.assumingMemoryBound(to: UInt16.self)
        let src = t.floats
        for i in 0..<t.count {
            dst[i] = type == .float16 ? ElementConversion.floatToHalf(src[i]) : ElementConversion.floatToBFloat16(src[i])
        }
        return out
    }

    /// Converts a numeric tensor to float32, float64, int32 or int64 (through Double).
    static func convert(_ t: RuntimeTensor, to type: DataType, _ context: ExecutionContext) throws -> RuntimeTensor {
        let out = try context.allocate(type, t.shape)
        let doubles: [Double] = t.dataType.isFloatingPoint ? try t.floatValues().map(Double.init) : try t.int64Values().map(Double.init)
        switch type {
        case .float: for i in 0..<t.count { out.floats[i] = Float(doubles[i]) }
        case .double: for i in 0..<t.count { out.elements(Double.self)[i] = doubles[i] }
        case .int64: for i in 0..<t.count { out.elements(Int64.self)[i] = Int64(doubles[i]) }
        case .int32: for i in 0..<t.count { out.elements(Int32.self)[i] = Int32(truncatingIfNeeded: Int64(doubles[i])) }
        default: throw KernelFailure("cannot convert \(t.dataType.name) to \(type.name)")
        }
        return out
    }
}
