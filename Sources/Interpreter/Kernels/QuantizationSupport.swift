import Foundation
import ONNXIR

/// Shared pieces of the quantization kernels: the integer types' ranges, reading and writing
/// quantized elements of any width (including packed 4-bit), and mapping each element to its
/// scale/zero-point (per tensor, per axis, or per block).
enum QuantizedElements {
    static func range(_ type: DataType) throws -> (Float, Float) {
        switch type {
        case .uint8: return (0, 255)
        case .int8: return (-128, 127)
        case .uint16: return (0, 65535)
        case .int16: return (-32768, 32767)
        case .int32: return (-2_147_483_648, 2_147_483_647)
        case .uint4: return (0, 15)
        case .int4: return (-8, 7)
        default: throw KernelFailure("quantized type \(type.name) is not supported")
        }
    }

    /// Reads element `i` of an integer tensor as Int32 (packed 4-bit included).
    @inline(__always)
    static func load(_ t: RuntimeTensor, _ i: Int) -> Int32 {
        switch t.dataType {
        case .uint8: return Int32(t.raw.load(fromByteOffset: i, as: UInt8.self))
        case .int8: return Int32(t.raw.load(fromByteOffset: i, as: Int8.self))
        case .uint16: return Int32(t.raw.load(fromByteOffset: i * 2, as: UInt16.self))
        case .int16: return Int32(t.raw.load(fromByteOffset: i * 2, as: Int16.self))
        case .int32: return t.raw.load(fromByteOffset: i * 4, as: Int32.self)
        case .uint4, .int4:
            let byte = t.raw.load(fromByteOffset: i / 2, as: UInt8.self)
            let v = Int32(i % 2 == 0 ? byte & 0x0F : byte >> 4)
            return t.dataType == .int4 && v >= 8 ? v - 16 : v
        default: return 0
        }
    }

    @inline(__always)
    static func store(_ t: RuntimeTensor, _ i: Int, _ v: Int32) {
        switch t.dataType {
        case .uint8: t.raw.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        case .int8: t.raw.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: i, as: Int8.self)
        case .uint16: t.raw.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: i * 2, as: UInt16.self)
        case .int16: t.raw.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: i * 2, as: Int16.self)
        case .int32: t.raw.storeBytes(of: v, toByteOffset: i * 4, as: Int32.self)
        case .uint4, .int4:
            let nibble = UInt8(truncatingIfNeeded: v) & 0x0F
            let old = t.raw.load(fromByteOffset: i / 2, as: UInt8.self)
            let new = i % 2 == 0 ? (old & 0xF0) | nibble : (old & 0x0F) | (nibble << 4)
            t.raw.storeBytes(of: new, toByteOffset: i / 2, as: UInt8.self)
        default: break
        }
    }
}

/// Maps an element index of `shape` to the index of its quantization parameter: 0 per tensor,
/// the coordinate along `axis` per axis, or the block along `axis` when `blockSize` > 0.
struct QuantizationLayout {
    let shape: [Int]
    let axis: Int
    let blockSize: Int
    let parameterCount: Int
    let perTensor: Bool

    init(shape: [Int], scaleShape: [Int], axis rawAxis: Int, blockSize: Int) throws {
        self.shape = shape
        self.blockSize = blockSize
        parameterCount = scaleShape.reduce(1, *)
        perTensor = scaleShape.isEmpty || (parameterCount == 1 && blockSize == 0)
        let a = rawAxis < 0 ? rawAxis + shape.count : rawAxis
        axis = a
        if perTensor { return }
        guard a >= 0 && a < shape.count else { throw KernelFailure("axis \(rawAxis) is out of range for rank \(shape.count)") }
        if blockSize > 0 {
            guard scaleShape.count == shape.count else { throw KernelFailure("blocked scale must have the input's rank") }
            let blocks = (shape[a] + blockSize - 1) / blockSize
            guard scaleShape[a] == blocks else {
                throw KernelFailure("blocked scale has \(scaleShape[a]) blocks along axis \(a), expected \(blocks)")
            }
        } else {
            guard scaleShape.count == 1, scaleShape[0] == shape[a] else {
                throw KernelFailure("per-axis scale has shape \(scaleShape), expected [\(shape[a])] for axis \(a)")
            }
        }
    }

    /// Calls body(elementIndex, parameterIndex) for every element.
    func forEach(_ body: (Int, Int) -> Void) {
        let total = shape.reduce(1, *)
        if perTensor {
            for i in 0..<total { body(i, 0) }
            return
        }
        let inner = shape[(axis + 1)...].reduce(1, *)
        let dim = shape[axis]
        let outer = shape[..<axis].reduce(1, *)
        if blockSize == 0 {
            var i = 0
            for _ in 0..<outer { for c in 0..<dim { for _ in 0..<inner { body(i, c); i += 1 } } }
            return
        }
        // Blocked: the scale has the input's shape with `axis` divided into blocks.
        let blocks = (dim + blockSize - 1) / blockSize
        var i = 0
        for o in 0..<outer {
            for c in 0..<dim {
                let base = (o * blocks + c / blockSize) * inner
                for k in 0..<inner { body(i, base + k); i += 1 }
            }
        }
    }
}

extension Float {
    /// Round half to even, as ONNX quantization requires.
    @inline(__always) var roundedHalfEven: Float { rounded(.toNearestOrEven) }
}
