import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// One activation or math op checked elementwise against a Double oracle.
struct UnaryCase: @unchecked Sendable, CustomTestStringConvertible {
    let op: String
    var opset: Int64 = 18
    var domain = ""
    var attributes: [String: AttributeValue] = [:]
    var inputs: [Float] = [-3, -1.5, -0.5, 0, 0.25, 0.5, 1, 2.5]
    let oracle: @Sendable (Double) -> Double

    var testDescription: String { domain.isEmpty ? op : "\(domain).\(op)" }
}

@Suite struct UnaryTests {
    static let positive: [Float] = [0.1, 0.5, 1, 2, 7.5]
    static let unit: [Float] = [-0.9, -0.5, 0, 0.3, 0.99]
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    static let cases: [UnaryCase] = [
        UnaryCase(op: "Relu") { max($0, 0) },
        UnaryCase(op: "Sigmoid") { sigmoid($0) },
        UnaryCase(op: "Tanh") { tanh($0) },
        UnaryCase(op: "Exp") { exp($0) },
        UnaryCase(op: "Log", inputs: positive) { log($0) },
        UnaryCase(op: "Sqrt", inputs: positive) { $0.squareRoot() },
        UnaryCase(op: "Reciprocal", inputs: positive) { 1 / $0 },
        UnaryCase(op: "Neg") { -$0 },
        UnaryCase(op: "Abs") { abs($0) },
        UnaryCase(op: "Sign") { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) },
        UnaryCase(op: "Floor") { floor($0) },
        UnaryCase(op: "Ceil") { ceil($0) },
        // Halves go to the even neighbour.
        UnaryCase(op: "Round", inputs: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, 2.6]) { $0.rounded(.toNearestOrEven) },
        UnaryCase(op: "Erf") { erf($0) },
        UnaryCase(op: "Sin") { sin($0) }, UnaryCase(op: "Cos") { cos($0) }, UnaryCase(op: "Tan") { tan($0) },
        UnaryCase(op: "Asin", inputs: unit) { asin($0) }, UnaryCase(op: "Acos", inputs: unit) { acos($0) },
        UnaryCase(op: "Atan") { atan($0) }, UnaryCase(op: "Sinh") { sinh($0) }, UnaryCase(op: "Cosh") { cosh($0) },
        UnaryCase(op: "Asinh") { asinh($0) }, UnaryCase(op: "Acosh", inputs: [1, 1.5, 3, 10]) { acosh($0) },
        UnaryCase(op: "Atanh", inputs: unit) { atanh($0) },
        UnaryCase(op: "Softplus", inputs: [-30, -1, 0, 1, 30]) { log(1 + exp($0)) },
        UnaryCase(op: "Softsign") { $0 / (1 + abs($0)) },
        UnaryCase(op: "Mish") { $0 * tanh(log(1 + exp($0))) },
        UnaryCase(op: "HardSwish") { $0 * max(0, min(1, $0 / 6 + 0.5)) },
        UnaryCase(op: "HardSigmoid") { max(0, min(1, 0.2 * $0 + 0.5)) },
        UnaryCase(op: "HardSigmoid", attributes: ["alpha": .float(0.5), "beta": .float(0.25)]) { max(0, min(1, 0.5 * $0 + 0.25)) },
        UnaryCase(op: "LeakyRelu") { $0 < 0 ? 0.01 * $0 : $0 },
        UnaryCase(op: "LeakyRelu", attributes: ["alpha": .float(0.2)]) { $0 < 0 ? 0.2 * $0 : $0 },
        UnaryCase(op: "Elu", attributes: ["alpha": .float(0.5)]) { $0 < 0 ? 0.5 * (exp($0) - 1) : $0 },
        UnaryCase(op: "Selu") { $0 > 0 ? 1.0507009873554805 * $0 : 1.0507009873554805 * 1.6732632423543772 * (exp($0) - 1) },
        UnaryCase(op: "Celu", attributes: ["alpha": .float(2)]) { max(0, $0) + min(0, 2 * (exp($0 / 2) - 1)) },
        UnaryCase(op: "ThresholdedRelu", attributes: ["alpha": .float(0.5)]) { $0 > 0.5 ? $0 : 0 },
        UnaryCase(op: "Shrink", attributes: ["lambd": .float(1), "bias": .float(0.5)]) { $0 < -1 ? $0 + 0.5 : ($0 > 1 ? $0 - 0.5 : 0) },
        UnaryCase(op: "Gelu", opset: 20) { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) },
        UnaryCase(op: "Gelu", opset: 20, attributes: ["approximate": .string("tanh")]) {
            0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0)))
        },
        UnaryCase(op: "Swish", opset: 24, attributes: ["alpha": .float(2)]) { $0 * sigmoid(2 * $0) },
        UnaryCase(op: "Gelu", domain: "com.microsoft") { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) },
        UnaryCase(op: "QuickGelu", domain: "com.microsoft") { $0 * sigmoid(1.702 * $0) },
        UnaryCase(op: "FastGelu", domain: "com.microsoft") {
            0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0)))
        },
    ]

    @Test(arguments: cases)
    func matchesOracle(_ c: UnaryCase) throws {
        let out = try SingleNode.run(
            c.op, opset: c.opset, domain: c.domain, inputs: [.float32(dims: [Int64(c.inputs.count)], values: c.inputs)],
            attributes: c.attributes)[0]
        #expect(out.shape == [c.inputs.count])
        for (x, y) in zip(c.inputs, out.floats) {
            let expected = c.oracle(Double(x))
            #expect(abs(Double(y) - expected) <= 1e-5 + 1e-5 * abs(expected), "\(c.op)(\(x)) = \(y), expected \(expected)")
        }
    }

    @Test(arguments: ["Relu", "Abs", "Neg", "Sign"])
    func integerInputsStayExact(op: String) throws {
        let values: [Int64] = [-7, -1, 0, 3, Int64.max]
        let out = try SingleNode.run(op, inputs: [.int64(dims: [5], values: values)])[0]
        let expected: [Int64] =
            switch op {
            case "Relu": [0, 0, 0, 3, Int64.max]
            case "Abs": [7, 1, 0, 3, Int64.max]
            case "Neg": [7, 1, 0, -3, -Int64.max]
            default: [-1, -1, 0, 1, 1]
            }
        #expect(out.dataType == .int64)
        #expect(try out.int64Values() == expected)
        let small = try SingleNode.run(op, inputs: [TestTensor.make(.int8, [3], [Int8(-5), 0, 4])])[0]
        let expectedSmall: [Int8] =
            switch op {
            case "Relu": [0, 0, 4]
            case "Abs": [5, 0, 4]
            case "Neg": [5, 0, -4]
            default: [-1, 0, 1]
            }
        #expect(small.dataType == .int8)
        #expect(Array(small.elements(Int8.self)) == expectedSmall)
    }

    @Test func float16ComputesInFloat32AndRoundsBack() throws {
        let halves: [UInt16] = [-2, -0.5, 0, 1.5].map { ElementConversion.floatToHalf($0) }
        let out = try SingleNode.run("Relu", inputs: [TestTensor.make(.float16, [4], halves)])[0]
        #expect(out.dataType == .float16)
        #expect(try out.floatValues() == [0, 0, 0, 1.5])
        let bf = try SingleNode.run("Exp", inputs: [TestTensor.make(.bfloat16, [1], [ElementConversion.floatToBFloat16(0)])])[0]
        #expect(try bf.floatValues() == [1])
    }

    @Test(arguments: [Int64(6), 11, 13])
    func clipReadsBoundsByOpset(opset: Int64) throws {
        let x = Tensor.float32(dims: [5], values: [-5, -1, 0, 2, 9])
        let out: RuntimeTensor
        if opset < 11 {
            out = try SingleNode.run("Clip", opset: opset, inputs: [x], attributes: ["min": .float(-1), "max": .float(2)])[0]
        } else {
            out = try SingleNode.run("Clip", opset: opset, inputs: [x, .float32(dims: [], values: [-1]), .float32(dims: [], values: [2])])[
                0]
        }
        #expect(Array(out.floats) == [-1, -1, 0, 2, 2])
    }

    @Test func clipHandlesMissingBoundsIntegersAndInvertedRange() throws {
        let x = Tensor.float32(dims: [4], values: [-5, 0, 3, .infinity])
        let onlyMax = try SingleNode.run("Clip", opset: 13, inputs: [x, nil, .float32(dims: [], values: [1])])[0]
        #expect(Array(onlyMax.floats) == [-5, 0, 1, 1])
        let noBounds = try SingleNode.run("Clip", opset: 13, inputs: [x])[0]
        #expect(Array(noBounds.floats) == [-5, 0, 3, .infinity])
        let inverted = try SingleNode.run(
            "Clip", opset: 13, inputs: [x, .float32(dims: [], values: [2]), .float32(dims: [], values: [1])])[0]
        #expect(Array(inverted.floats) == [1, 1, 1, 1])
        let ints = try SingleNode.run(
            "Clip", opset: 12,
            inputs: [
                TestTensor.make(.int32, [4], [Int32(-9), 0, 5, 100]), TestTensor.make(.int32, [], [Int32(-2)]),
                TestTensor.make(.int32, [], [Int32(6)]),
            ])[0]
        #expect(Array(ints.elements(Int32.self)) == [-2, 0, 5, 6])
    }

    @Test func whereBroadcastsAllThreeInputs() throws {
        let condition = TestTensor.bools([2, 1], [true, false])
        let x = Tensor.float32(dims: [1, 3], values: [1, 2, 3])
        let y = Tensor.float32(dims: [], values: [-1])
        let out = try SingleNode.run("Where", inputs: [condition, x, y])[0]
        #expect(out.shape == [2, 3])
        #expect(Array(out.floats) == [1, 2, 3, -1, -1, -1])
        let strings = try SingleNode.run(
            "Where", inputs: [condition, TestTensor.strings([1, 2], ["a", "b"]), TestTensor.strings([], ["z"])])[0]
        #expect(strings.strings?.map { String(decoding: $0, as: UTF8.self) } == ["a", "b", "z", "z"])
        let ints = try SingleNode.run(
            "Where",
            inputs: [
                TestTensor.bools([3], [false, true, false]), .int64(dims: [3], values: [1, 2, 3]), .int64(dims: [3], values: [7, 8, 9]),
            ])[0]
        #expect(try ints.int64Values() == [7, 2, 9])
    }

    @Test func preluBroadcastsSlopePerChannel() throws {
        let x = Tensor.float32(dims: [1, 2, 2, 2], values: [-1, 2, -3, 4, -1, 2, -3, 4])
        let slope = Tensor.float32(dims: [2, 1, 1], values: [0.5, 2])
        let out = try SingleNode.run("PRelu", inputs: [x, slope])[0]
        #expect(Array(out.floats) == [-0.5, 2, -1.5, 4, -2, 2, -6, 4])
        let scalarSlope = try SingleNode.run("PRelu", inputs: [x, .float32(dims: [1], values: [0.1])])[0]
        #expect(abs(scalarSlope.floats[2] - -0.3) < 1e-6)
    }

    @Test func predicatesProduceBooleans() throws {
        let x = Tensor.float32(dims: [5], values: [.nan, .infinity, -.infinity, 0, 1])
        let nan = try SingleNode.run("IsNaN", inputs: [x])[0]
        #expect(nan.dataType == .bool && Array(nan.elements(UInt8.self)) == [1, 0, 0, 0, 0])
        let inf = try SingleNode.run("IsInf", inputs: [x])[0]
        #expect(Array(inf.elements(UInt8.self)) == [0, 1, 1, 0, 0])
        let negative = try SingleNode.run("IsInf", inputs: [x], attributes: ["detect_positive": .int(0)])[0]
        #expect(Array(negative.elements(UInt8.self)) == [0, 0, 1, 0, 0])
        let not = try SingleNode.run("Not", inputs: [TestTensor.bools([3], [true, false, true])])[0]
        #expect(Array(not.elements(UInt8.self)) == [0, 1, 0])
    }

    @Test func biasGeluAddsBiasAlongTheLastAxis() throws {
        let x = Tensor.float32(dims: [2, 2], values: [0, 1, -1, 2])
        let bias = Tensor.float32(dims: [2], values: [1, -1])
        let out = try SingleNode.run("BiasGelu", domain: "com.microsoft", inputs: [x, bias])[0]
        func gelu(_ v: Double) -> Double { 0.5 * v * (1 + erf(v / 2.0.squareRoot())) }
        let expected = [gelu(1), gelu(0), gelu(0), gelu(1)]
        for (y, e) in zip(out.floats, expected) { #expect(abs(Double(y) - e) < 1e-6) }
    }

    /// The SIMD exp/tanh/erf/sigmoid against libm in Double, over a dense grid and the edges.
    @Test(arguments: ["exp", "tanh", "erf", "sigmoid"])
    func vectorMathStaysWithinAFewUlps(function: String) {
        var xs = stride(from: -30.0, through: 30.0, by: 0.0007).map { Float($0) }
        xs += [0, -0.0, 1e-30, -1e-30, 1e-6, -3e-4, 0.625, -0.625, 1, -1, 88.7, 88.72, -87.3, -100, -103.9, 89, -110]
        var ys = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeMutableBufferPointer { y in
                VectorMath.map(x.baseAddress!, y.baseAddress!, 0..<x.count) { v in
                    switch function {
                    case "exp": VectorMath.exp(v)
                    case "tanh": VectorMath.tanh(v)
                    case "erf": VectorMath.erf(v)
                    default: VectorMath.sigmoid(v)
                    }
                }
            }
        }
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let d = Double(x)
            let expected: Double =
                switch function {
                case "exp": Foundation.exp(d)
                case "tanh": Foundation.tanh(d)
                case "erf": Foundation.erf(d)
                default: 1 / (1 + Foundation.exp(-d))
                }
            // Relative error; results that underflow float32 only need to be tiny.
            let error = abs(Double(y) - expected) / max(abs(expected), 1e-30)
            worst = max(worst, expected > Double(Float.greatestFiniteMagnitude) ? (y == .infinity ? 0 : 1) : error)
        }
        #expect(worst < 8e-7, "\(function): worst relative error \(worst)")
        let specials = [Float.nan, .infinity, -.infinity]
        var out = [Float](repeating: 0, count: 3)
        specials.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in VectorMath.map(x.baseAddress!, y.baseAddress!, 0..<3) { VectorMath.exp($0) } }
        }
        #expect(out[0].isNaN && out[1] == .infinity && out[2] == 0)
    }

    @Test func largeTensorsSplitAcrossThreadsGiveTheSameResult() throws {
        var random = SeededGenerator(seed: 7)
        let values = random.floats(100_003, in: -4...4)
        let b = GraphBuilder(opset: 17)
        let x = b.input("x", .float, [100_003])
        b.output(b.node("Sigmoid", [x]))
        let session = try Session(model: b.model(), options: .init(threads: 4))
        let out = try session.run(["x": .float32([100_003], values)])[0]
        for i in stride(from: 0, to: values.count, by: 997) {
            #expect(abs(Double(out.floats[i]) - Self.sigmoid(Double(values[i]))) < 1e-6)
        }
    }
}

/// Runs one node on constant inputs; shared by the kernel-family tests of this target.
enum SingleNode {
    static func run(
        _ op: String, opset: Int64 = 18, domain: String = "", inputs: [Tensor?], attributes: [String: AttributeValue] = [:],
        outputs: Int = 1
    ) throws -> [RuntimeTensor] {
        let b = GraphBuilder(opset: opset)
        let values = inputs.enumerated().map { i, t in t.map { b.initializer("input\(i)", $0) } }
        for o in b.nodeOutputs(op, values, attributes, outputs: outputs, domain: domain) { b.output(o, type: .tensor(.undefined, nil)) }
        let extra = domain.isEmpty ? [] : [OperatorSetID(domain: domain, version: 1)]
        return try Session(model: b.model(extraOpsets: extra)).run([:])
    }
}

/// Tensors of any element type for kernel tests.
enum TestTensor {
    /// Packs `values` (Swift elements laid out as the ONNX type stores them) into a tensor.
    static func make<T>(_ type: DataType, _ dims: [Int64], _ values: [T]) -> Tensor {
        let buffer = values.withUnsafeBytes { TensorBuffer(copying: $0) }
        return Tensor(dataType: type, dims: dims, storage: .bytes(buffer))
    }

    static func bools(_ dims: [Int64], _ values: [Bool]) -> Tensor { make(.bool, dims, values.map { UInt8($0 ? 1 : 0) }) }

    static func strings(_ dims: [Int64], _ values: [String]) -> Tensor {
        Tensor(dataType: .string, dims: dims, storage: .strings(values.map { Array($0.utf8) }))
    }
}
