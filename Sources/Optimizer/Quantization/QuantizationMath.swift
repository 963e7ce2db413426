import Foundation
import ONNXIR

/// Scale and zero point of one quantized tensor (per tensor or per channel).
struct QuantParams {
    var scales: [Float]
    var zeroPoints: [Int32]
    var type: DataType
    /// Axis for per-channel parameters; nil per tensor.
    var axis: Int?

    /// Affine parameters covering [low, high] (always including 0, as ONNX requires).
    static func activation(low: Float, high: Float, type: DataType, symmetric: Bool, reduceRange: Bool) -> QuantParams {
        var (qmin, qmax) = type == .int8 ? (Float(-128), Float(127)) : (Float(0), Float(255))
        if reduceRange { qmax = type == .int8 ? 63 : 127; qmin = type == .int8 ? -64 : 0 }
        let lo = min(low, 0), hi = max(high, 0)
        if symmetric || type == .int8 {
            let bound = max(abs(lo), abs(hi))
            let scale = bound > 0 ? bound / ((qmax - qmin) / 2) : 1
            let zero: Int32 = type == .int8 ? 0 : Int32(((qmin + qmax) / 2).rounded(.up))
            return QuantParams(scales: [scale], zeroPoints: [zero], type: type, axis: nil)
        }
        let scale = hi > lo ? (hi - lo) / (qmax - qmin) : 1
        let zero = Int32(min(max((qmin - lo / scale).rounded(.toNearestOrEven), qmin), qmax))
        return QuantParams(scales: [scale], zeroPoints: [zero], type: type, axis: nil)
    }
}

/// Symmetric weight quantization (int8 or int4), per channel along `axis` or per tensor.
enum WeightQuantizer {
    /// Returns the quantized values (as Int8 in [-qmax, qmax]) and per-channel scales.
    static func quantize(_ values: [Float], shape: [Int], axis: Int?, bits: Int) -> (q: [Int8], scales: [Float]) {
        let qmax = Float((1 << (bits - 1)) - 1)
        guard let axis else {
            let bound = values.reduce(0) { max($0, abs($1)) }
            let scale = bound > 0 ? bound / qmax : 1
            return (values.map { Int8(max(-qmax, min(qmax, ($0 / scale).rounded(.toNearestOrEven)))) }, [scale])
        }
        let channels = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var bounds = [Float](repeating: 0, count: channels)
        for (i, v) in values.enumerated() {
            let c = (i / inner) % channels
            bounds[c] = max(bounds[c], abs(v))
        }
        let scales = bounds.map { $0 > 0 ? $0 / qmax : 1 }
        var q = [Int8](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            let c = (i / inner) % channels
            q[i] = Int8(max(-qmax, min(qmax, (v / scales[c]).rounded(.toNearestOrEven))))
        }
        return (q, scales)
    }

    /// The float values `quantize` stands for: q x scale of its channel.
    static func dequantize(_ q: [Int8], scales: [Float], shape: [Int], axis: Int?) -> [Float] {
        guard let axis else { return q.map { Float($0) * scales[0] } }
        let channels = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        return q.enumerated().map { i, v in Float(v) * scales[(i / inner) % channels] }
    }

    /// Blocked quantization of a [K, N] weight along K: one scale per (block, column).
    static func blocked(_ values: [Float], k: Int, n: Int, blockSize: Int, bits: Int) -> (q: [Int8], scales: [Float]) {
        let qmax = Float((1 << (bits - 1)) - 1)
        let blocks = (k + blockSize - 1) / blockSize
        var scales = [Float](repeating: 1, count: blocks * n)
        var q = [Int8](repeating: 0, count: k * n)
        for b in 0..<blocks {
            for j in 0..<n {
                var bound: Float = 0
                for r in (b * blockSize)..<min(k, (b + 1) * blockSize) { bound = max(bound, abs(values[r * n + j])) }
                let scale = bound > 0 ? bound / qmax : 1
                scales[b * n + j] = scale
                for r in (b * blockSize)..<min(k, (b + 1) * blockSize) {
                    q[r * n + j] = Int8(max(-qmax, min(qmax, (values[r * n + j] / scale).rounded(.toNearestOrEven))))
                }
            }
        }
        return (q, scales)
    }
}

extension Tensor {
    static func int8(dims: [Int64], values: [Int8]) -> Tensor {
        Tensor(dataType: .int8, dims: dims, storage: .bytes(values.withUnsafeBytes { TensorBuffer(copying: $0) }))
    }
    static func uint8(dims: [Int64], values: [UInt8]) -> Tensor {
        Tensor(dataType: .uint8, dims: dims, storage: .bytes(values.withUnsafeBytes { TensorBuffer(copying: $0) }))
    }
    static func int32(dims: [Int64], values: [Int32]) -> Tensor {
        Tensor(dataType: .int32, dims: dims, storage: .bytes(values.withUnsafeBytes { TensorBuffer(copying: $0) }))
    }
    /// Packs signed 4-bit values two to a byte (first element in the low nibble).
    static func int4(dims: [Int64], values: [Int8]) -> Tensor {
        var bytes = [UInt8](repeating: 0, count: (values.count + 1) / 2)
        for (i, v) in values.enumerated() {
            let nibble = UInt8(bitPattern: v) & 0x0F
            bytes[i / 2] |= i % 2 == 0 ? nibble : nibble << 4
        }
        return Tensor(dataType: .int4, dims: dims, storage: .bytes(TensorBuffer(bytes)))
    }
}
