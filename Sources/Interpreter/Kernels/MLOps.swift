import Foundation
import ONNXIR

/// LabelEncoder (ai.onnx.ml, opset 2-4): maps each element through keys -> values (strings,
/// int64s, floats or, from opset 4, tensors), unknown keys to the default.
final class LabelEncoderKernel: Kernel {
    enum Key: Hashable {
        case string([UInt8])
        case number(Double)
    }
    let table: [Key: Int]
    /// Values as strings or numbers, in `valueType`; the default is the last entry.
    let stringValues: [[UInt8]]
    let numberValues: [Double]
    let valueType: DataType

    init(_ ctx: KernelBuildContext) throws {
        func strings(_ name: String) throws -> [[UInt8]]? {
            guard let a = ctx.node.attribute(name) else { return nil }
            guard case .strings(let v) = a.value else { throw ctx.fail("attribute '\(name)' must be a list of strings") }
            return v
        }
        func tensorValues(_ name: String) throws -> (DataType, [[UInt8]], [Double])? {
            guard let t = try ctx.tensor(name) else { return nil }
            let r = try RuntimeTensor(t)
            if let s = r.strings { return (.string, s, []) }
            return (r.dataType, [], try FloatIO.doubles(r))
        }
        let keys: [Key]
        if let s = try strings("keys_strings") {
            keys = s.map { .string($0) }
        } else if let i = try ctx.ints("keys_int64s") {
            keys = i.map { .number(Double($0)) }
        } else if let f = try ctx.floats("keys_floats") {
            keys = f.map { .number(Double($0)) }
        } else if let (type, s, n) = try tensorValues("keys_tensor") {
            keys = type == .string ? s.map { .string($0) } : n.map { .number($0) }
        } else {
            throw ctx.fail("needs keys")
        }
        var sv: [[UInt8]] = [], nv: [Double] = []
        let type: DataType
        if let s = try strings("values_strings") {
            (type, sv) = (.string, s)
        } else if let i = try ctx.ints("values_int64s") {
            (type, nv) = (.int64, i.map(Double.init))
        } else if let f = try ctx.floats("values_floats") {
            (type, nv) = (.float, f.map(Double.init))
        } else if let (t, s, n) = try tensorValues("values_tensor") {
            (type, sv, nv) = (t, s, n)
        } else {
            throw ctx.fail("needs values")
        }
        guard keys.count == max(sv.count, nv.count) else { throw ctx.fail("keys and values differ in length") }
        if let (_, s, n) = try tensorValues("default_tensor") {
            sv += s.prefix(1)
            nv += n.prefix(1)
        } else if type == .string {
            sv.append(Array(try ctx.string("default_string", default: "_Unused").utf8))
        } else if type == .int64 {
            nv.append(Double(try ctx.int("default_int64", default: -1)))
        } else {
            nv.append(Double(try ctx.float("default_float", default: -0.0)))
        }
        var table: [Key: Int] = [:]
        for (i, k) in keys.enumerated() where table[k] == nil { table[k] = i }
        self.table = table
        (stringValues, numberValues, valueType) = (sv, nv, type)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let keys: [Key] = try x.strings.map { $0.map { .string($0) } } ?? FloatIO.doubles(x).map { .number($0) }
        let fallback = valueType == .string ? stringValues.count - 1 : numberValues.count - 1
        let picks = keys.map { table[$0] ?? fallback }
        if valueType == .string { return [context.strings(x.shape, picks.map { stringValues[$0] })] }
        let values = picks.map { numberValues[$0] }
        if valueType.isFloatingPoint { return [try FloatIO.make(valueType, x.shape, values, context)] }
        return [try CastKernel.convert(RuntimeTensor.int64(x.shape, values.map { Int64($0) }), to: valueType, saturate: true, context)]
    }
}

/// Binarizer (ai.onnx.ml): 1 where x > threshold, else 0, in x's type.
final class BinarizerKernel: Kernel {
    let threshold: Double

    init(_ ctx: KernelBuildContext) throws { threshold = Double(try ctx.float("threshold", default: 0)) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let y = try FloatIO.doubles(x).map { $0 > threshold ? 1.0 : 0.0 }
        if x.dataType.isFloatingPoint { return [try FloatIO.make(x.dataType, x.shape, y, context)] }
        return [try CastKernel.convert(RuntimeTensor.int64(x.shape, y.map { Int64($0) }), to: x.dataType, saturate: true, context)]
    }
}

/// ArrayFeatureExtractor (ai.onnx.ml): X[..., Y] along the last axis (a 1-D X gives [1, len(Y)]).
final class ArrayFeatureExtractorKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "Y").intValues()
        guard x.rank >= 1, let n = x.shape.last else { throw KernelFailure("X must have rank 1 or more") }
        guard indices.allSatisfy({ $0 >= 0 && $0 < n }) else { throw KernelFailure("an index is outside [0, \(n))") }
        let shape = (x.rank == 1 ? [1] : Array(x.shape.dropLast())) + [indices.count]
        let rows = x.count / max(n, 1)
        if let strings = x.strings {
            var values: [[UInt8]] = []
            for r in 0..<rows { for i in indices { values.append(strings[r * n + i]) } }
            return [context.strings(shape, values)]
        }
        let bytes = try Axis.elementBytes(x.dataType)
        let out = try context.allocate(x.dataType, shape)
        var o = 0
        for r in 0..<rows {
            for i in indices {
                (out.raw + o * bytes).copyMemory(from: x.raw + (r * n + i) * bytes, byteCount: bytes)
                o += 1
            }
        }
        return [out]
    }
}

enum MLKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("LabelEncoder", domain: "ai.onnx.ml", since: 2) { try LabelEncoderKernel($0) },
        KernelDescriptor("Binarizer", domain: "ai.onnx.ml") { try BinarizerKernel($0) },
        KernelDescriptor("ArrayFeatureExtractor", domain: "ai.onnx.ml") { _ in ArrayFeatureExtractorKernel() },
    ]
}
