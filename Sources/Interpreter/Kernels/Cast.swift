import Foundation
import ONNXIR

/// Cast and CastLike between the numeric types (float32/64, float16, bfloat16, the float8
/// family, every integer width, bool) and string. Integers convert exactly between themselves
/// (C truncation of the bit pattern), floats to integers truncate toward zero, floats narrow with
/// round-to-nearest-even, float8 saturates per the `saturate` attribute (opset 19). The packed
/// 2- and 4-bit types and float8e8m0 go through `SubByteCast`.
final class CastKernel: Kernel {
    /// nil for CastLike: the type of input 1.
    let target: DataType?
    let saturates: Bool
    /// How float8e8m0 rounds (opset 25).
    let roundMode: SubByteCast.RoundMode

    init(_ ctx: KernelBuildContext, like: Bool) throws {
        saturates = try ctx.int("saturate", default: 1) != 0
        let mode = try ctx.string("round_mode", default: "up")
        guard let roundMode = SubByteCast.RoundMode(rawValue: mode) else { throw ctx.fail("unknown round_mode '\(mode)'") }
        self.roundMode = roundMode
        if like {
            target = nil
            return
        }
        // Opset 1 named the type with a string ("FLOAT"); later opsets use the enum value.
        if let name = ctx.node.attribute("to")?.string {
            guard let type = DataType(name: name) else { throw ctx.fail("unknown type '\(name)' in attribute 'to'") }
            target = type
        } else {
            guard let code = try ctx.int("to") else { throw ctx.fail("missing attribute 'to'") }
            target = DataType(rawValue: Int32(code))
        }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let type = try target ?? Require.input(inputs, 1, "target_type").dataType
        return [try Self.convert(x, to: type, saturate: saturates, roundMode: roundMode, context)]
    }

    static func convert(
        _ x: RuntimeTensor, to type: DataType, saturate: Bool, roundMode: SubByteCast.RoundMode = .up, _ context: ExecutionContext
    ) throws -> RuntimeTensor {
        if x.dataType == type { return x }
        if SubByteCast.isHandled(x.dataType) {
            return try convert(try SubByteCast.widen(x, context), to: type, saturate: saturate, roundMode: roundMode, context)
        }
        if SubByteCast.isHandled(type) { return try SubByteCast.narrow(x, to: type, roundMode: roundMode, saturate: saturate, context) }
        if let strings = x.strings { return try fromStrings(strings, x.shape, to: type, saturate: saturate, context) }
        if type == .string { return try toStrings(x, context) }
        let out = try context.allocate(type, x.shape)
        // The float16 <-> float32 pair models run most, in SIMD.
        if x.dataType == .float && type == .float16 {
            VectorHalf.narrow(x.floats.baseAddress!, out.raw.assumingMemoryBound(to: UInt16.self), x.count)
            return out
        }
        if x.dataType == .float16 && type == .float {
            VectorHalf.widen(x.raw.assumingMemoryBound(to: UInt16.self), out.floats.baseAddress!, x.count)
            return out
        }
        switch x.dataType {
        case .float: try fromFloats(x.raw.assumingMemoryBound(to: Float.self), x.count, out, saturate)
        case .double: try fromFloats(x.raw.assumingMemoryBound(to: Double.self), x.count, out, saturate)
        case .float16, .bfloat16, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz:
            let wide = try HalfPrecision.widen(x, context)
            try fromFloats(wide.raw.assumingMemoryBound(to: Float.self), x.count, out, saturate)
        case .int8: try fromIntegers(x.raw.assumingMemoryBound(to: Int8.self), x.count, out, saturate)
        case .int16: try fromIntegers(x.raw.assumingMemoryBound(to: Int16.self), x.count, out, saturate)
        case .int32: try fromIntegers(x.raw.assumingMemoryBound(to: Int32.self), x.count, out, saturate)
        case .int64: try fromIntegers(x.raw.assumingMemoryBound(to: Int64.self), x.count, out, saturate)
        case .uint8, .bool: try fromIntegers(x.raw.assumingMemoryBound(to: UInt8.self), x.count, out, saturate)
        case .uint16: try fromIntegers(x.raw.assumingMemoryBound(to: UInt16.self), x.count, out, saturate)
        case .uint32: try fromIntegers(x.raw.assumingMemoryBound(to: UInt32.self), x.count, out, saturate)
        case .uint64: try fromIntegers(x.raw.assumingMemoryBound(to: UInt64.self), x.count, out, saturate)
        case .int4, .uint4, .float4e2m1, .float8e8m0, .int2, .uint2, .float6e2m3, .float6e3m2:
            // Packed and exotic types: widen through the IR's element decoder.
            var values = try x.floatValues()
            try values.withUnsafeMutableBufferPointer { try fromFloats($0.baseAddress!, x.count, out, saturate) }
        default: throw KernelFailure("cannot cast from \(x.dataType.name)")
        }
        return out
    }

    @inline(__always)
    private static func store<S, D>(_ src: UnsafeMutablePointer<S>, _ n: Int, _ out: RuntimeTensor, _: D.Type, _ f: (S) -> D) {
        let dst = out.raw.assumingMemoryBound(to: D.self)
        for i in 0..<n { dst[i] = f(src[i]) }
    }

    private static func fromIntegers<S: FixedWidthInteger>(_ src: UnsafeMutablePointer<S>, _ n: Int, _ out: RuntimeTensor, _ saturate: Bool)
        throws
    {
        switch out.dataType {
        case .float: store(src, n, out, Float.self) { Float($0) }
        case .double: store(src, n, out, Double.self) { Double($0) }
        case .float16: store(src, n, out, UInt16.self) { ElementConversion.floatToHalf(Float($0)) }
        case .bfloat16: store(src, n, out, UInt16.self) { ElementConversion.floatToBFloat16(Float($0)) }
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz:
            let encoder = try Float8Encoder(out.dataType)
            store(src, n, out, UInt8.self) { encoder.encode(Float($0), saturate: saturate) }
        case .bool: store(src, n, out, UInt8.self) { $0 != 0 ? 1 : 0 }
        case .int8: store(src, n, out, Int8.self) { Int8(truncatingIfNeeded: $0) }
        case .int16: store(src, n, out, Int16.self) { Int16(truncatingIfNeeded: $0) }
        case .int32: store(src, n, out, Int32.self) { Int32(truncatingIfNeeded: $0) }
        case .int64: store(src, n, out, Int64.self) { Int64(truncatingIfNeeded: $0) }
        case .uint8: store(src, n, out, UInt8.self) { UInt8(truncatingIfNeeded: $0) }
        case .uint16: store(src, n, out, UInt16.self) { UInt16(truncatingIfNeeded: $0) }
        case .uint32: store(src, n, out, UInt32.self) { UInt32(truncatingIfNeeded: $0) }
        case .uint64: store(src, n, out, UInt64.self) { UInt64(truncatingIfNeeded: $0) }
        default: throw KernelFailure("cannot cast to \(out.dataType.name)")
        }
    }

    private static func fromFloats<S: BinaryFloatingPoint>(_ src: UnsafeMutablePointer<S>, _ n: Int, _ out: RuntimeTensor, _ saturate: Bool)
        throws
    {
        switch out.dataType {
        case .float: store(src, n, out, Float.self) { Float($0) }
        case .double: store(src, n, out, Double.self) { Double($0) }
        case .float16: store(src, n, out, UInt16.self) { ElementConversion.floatToHalf(Float($0)) }
        case .bfloat16: store(src, n, out, UInt16.self) { ElementConversion.floatToBFloat16(Float($0)) }
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz:
            let encoder = try Float8Encoder(out.dataType)
            store(src, n, out, UInt8.self) { encoder.encode(Float($0), saturate: saturate) }
        case .bool: store(src, n, out, UInt8.self) { $0 != 0 ? 1 : 0 }
        case .int8: store(src, n, out, Int8.self) { Int8(truncatingIfNeeded: truncated($0)) }
        case .int16: store(src, n, out, Int16.self) { Int16(truncatingIfNeeded: truncated($0)) }
        case .int32: store(src, n, out, Int32.self) { Int32(truncatingIfNeeded: truncated($0)) }
        case .int64: store(src, n, out, Int64.self) { truncated($0) }
        case .uint8: store(src, n, out, UInt8.self) { UInt8(truncatingIfNeeded: truncated($0)) }
        case .uint16: store(src, n, out, UInt16.self) { UInt16(truncatingIfNeeded: truncated($0)) }
        case .uint32: store(src, n, out, UInt32.self) { UInt32(truncatingIfNeeded: truncated($0)) }
        case .uint64: store(src, n, out, UInt64.self) { v in v >= 0x1p63 && v < 0x1p64 ? UInt64(v) : UInt64(bitPattern: truncated(v)) }
        default: throw KernelFailure("cannot cast to \(out.dataType.name)")
        }
    }

    /// Toward zero; NaN and out-of-range values give Int64.min, as x86's conversion does
    /// (the spec leaves them undefined).
    @inline(__always)
    private static func truncated<S: BinaryFloatingPoint>(_ v: S) -> Int64 {
        v.isFinite && v > -0x1p63 && v < 0x1p63 ? Int64(v) : Int64.min
    }

    private static func toStrings(_ x: RuntimeTensor, _ context: ExecutionContext) throws -> RuntimeTensor {
        let text: [String]
        switch x.dataType {
        case .float: text = x.floats.map { Self.describe($0) }
        case .double: text = x.elements(Double.self).map { Self.describe($0) }
        case .float16, .bfloat16, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz:
            text = try x.floatValues().map { Self.describe($0) }
        case .bool: text = x.elements(UInt8.self).map { $0 != 0 ? "True" : "False" }
        case .uint64: text = x.elements(UInt64.self).map { String($0) }
        default: text = try x.int64Values().map { String($0) }
        }
        return context.strings(x.shape, text.map { Array($0.utf8) })
    }

    /// Shortest round-trip spelling, as NumPy prints (`0.5`, `1e+20`, `nan`, `-inf`).
    private static func describe<T: BinaryFloatingPoint & LosslessStringConvertible>(_ v: T) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-INF" : "INF" }
        return v.description
    }

    private static func fromStrings(_ strings: [[UInt8]], _ shape: [Int], to type: DataType, saturate: Bool, _ context: ExecutionContext)
        throws -> RuntimeTensor
    {
        if type.isFloatingPoint {
            var values = [Float](repeating: 0, count: strings.count)
            var doubles = [Double](repeating: 0, count: strings.count)
            for (i, s) in strings.enumerated() {
                let text = String(decoding: s, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard let d = Double(text) ?? Self.special(text) else {
                    throw KernelFailure("cannot cast string '\(text)' to \(type.name)")
                }
                doubles[i] = d
                values[i] = Float(d)
            }
            if type == .double {
                let out = try context.allocate(.double, shape)
                for i in 0..<strings.count { out.elements(Double.self)[i] = doubles[i] }
                return out
            }
            return try convert(RuntimeTensor.float32(shape, values), to: type, saturate: saturate, context)
        }
        var values = [Int64](repeating: 0, count: strings.count)
        for (i, s) in strings.enumerated() {
            let text = String(decoding: s, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if let v = Int64(text) {
                values[i] = v
            } else if type == .bool, ["true", "false"].contains(text.lowercased()) {
                values[i] = text.lowercased() == "true" ? 1 : 0
            } else if let d = Double(text), d.isFinite {
                values[i] = truncated(d)
            } else {
                throw KernelFailure("cannot cast string '\(text)' to \(type.name)")
            }
        }
        return try convert(RuntimeTensor.int64(shape, values), to: type, saturate: saturate, context)
    }

    /// NaN and infinity as other tools spell them ("NaN", "INF", "-Infinity").
    private static func special(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan", "+nan", "-nan": .nan
        case "inf", "+inf", "infinity", "+infinity": .infinity
        case "-inf", "-infinity": -.infinity
        default: nil
        }
    }
}

/// BitCast (opset 26): the same bytes read as another type of the same bit width.
final class BitCastKernel: Kernel {
    let target: DataType

    init(_ ctx: KernelBuildContext) throws {
        guard let code = try ctx.int("to"), case let type = DataType(rawValue: Int32(code)), type.isKnown, type != .string else {
            throw ctx.fail("attribute 'to' must name a non-string type")
        }
        target = type
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.dataType != .string, let from = x.dataType.bitWidth, let to = target.bitWidth, from == to else {
            throw KernelFailure("cannot bit-cast \(x.dataType.name) to \(target.name): bit widths differ")
        }
        return [RuntimeTensor(dataType: target, shape: x.shape, storage: x.storage)]
    }
}

enum CastKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("BitCast", since: 26) { try BitCastKernel($0) },
        KernelDescriptor("Cast") { try CastKernel($0, like: false) },
        KernelDescriptor("CastLike", since: 15) { try CastKernel($0, like: true) },
    ]
}

extension HalfPrecision {
    /// Runs a float32-only kernel body on `inputs` widened to float32 and rounds its first output
    /// back to `type` once (Conv and ConvTranspose on float16, bfloat16 and float64).
    static func inFloat32(
        _ inputs: [RuntimeTensor?], returning type: DataType, _ context: ExecutionContext,
        _ body: ([RuntimeTensor?]) throws -> [RuntimeTensor?]
    ) throws -> [RuntimeTensor?] {
        let widened = try inputs.map { try $0.map { try convert($0, to: .float, context) } }
        guard let y = try body(widened).first ?? nil else { throw KernelFailure("internal: no output") }
        return [try CastKernel.convert(y, to: type, saturate: true, context)]
    }
}
