import Foundation
import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// The quantize pass: structure (QDQ placement, int8 weights, int32 bias), numerics against the
/// float model, tied weights quantized once, and refusal without calibration data.
@Suite struct QuantizationTests {
    /// x[1,16] -> MatMul(W1 16x32) -> Add(b) -> MatMul(W2 32x8, shared by a second MatMul) -> y
    static func model() -> Model {
        let b = GraphBuilder(opset: 17, seed: 7)
        let x = b.input("x", .float, [.symbol("N"), .value(16)])
        let w1 = b.weight("w1", [16, 32], scale: 0.5)
        let bias = b.weight("bias", [32], scale: 0.1)
        let h = b.node("Add", [b.node("MatMul", [x, w1], name: "mm1"), bias], name: "add")
        let w2 = b.weight("w2", [32, 32], scale: 0.3)
        let h2 = b.node("MatMul", [h, w2], name: "mm2")
        let y = b.node("MatMul", [h2, w2], name: "mm3")
        b.output(y, type: .tensor(.float, nil))
        return b.model()
    }

    static func samples(_ count: Int, seed: UInt64 = 1) -> [[String: RuntimeTensor]] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in ["x": RuntimeTensor.float32([4, 16], (0..<64).map { _ in g.nextFloat(in: -1...1) })] }
    }

    @Test func staticQuantizationPlacesQDQAndStaysClose() throws {
        let model = Self.model()
        let reference = try Session(model: model).run(Self.samples(1, seed: 99)[0])[0]
        let reports = try PassManager(pipeline: "quantize", options: .init(calibration: Self.samples(8))).run(on: model)
        #expect(Verifier().problems(in: model).isEmpty)
        let ops = model.graph.nodes.map(\.opType)
        #expect(ops.filter { $0 == "QuantizeLinear" }.count >= 4)
        // Three MatMuls, two distinct weights: the tied weight is quantized once.
        let weightDQ = model.graph.nodes.filter { $0.opType == "DequantizeLinear" && $0.inputs[0]?.initializer?.dataType == .int8 }
        #expect(weightDQ.count == 2)
        #expect(model.graph.initializers.allSatisfy { $0.name != "w2" })
        let out = try Session(model: model).run(Self.samples(1, seed: 99)[0])[0]
        let a = try reference.floatValues(), q = try out.floatValues()
        let scale = a.map(abs).max()!
        let worst = zip(a, q).map { abs($0 - $1) }.max()!
        #expect(worst < 0.05 * scale, "max error \(worst) vs output scale \(scale)")
        #expect(reports[0].changes.contains { $0.contains("quantized MatMul 'mm1'") })
    }

    @Test func staticModeRefusesWithoutCalibration() {
        #expect(throws: PassError.self) { try PassManager(pipeline: "quantize").run(on: Self.model()) }
    }

    /// Dynamic mode's rescaling uses Cast; runs once the shape-ops kernel family provides it.
    static let hasCast = KernelRegistry.standard.lookup(domain: "", op: "Cast", opset: 17) != nil

    @Test(arguments: ["weight-only"] + (hasCast ? ["dynamic"] : []))
    func calibrationFreeModesStayClose(mode: String) throws {
        let model = Self.model()
        let feeds = Self.samples(1, seed: 5)[0]
        let reference = try Session(model: model).run(feeds)[0].floatValues()
        try PassManager(pipeline: "quantize{mode=\(mode),weights=int8,block-size=16}").run(on: model)
        #expect(Verifier().problems(in: model).isEmpty)
        let out = try Session(model: model).run(feeds)[0].floatValues()
        let scale = reference.map(abs).max()!
        #expect(zip(reference, out).map { abs($0 - $1) }.max()! < 0.05 * scale)
        // No MatMul reads a float weight any more (weight-only: each reads a blocked DequantizeLinear).
        #expect(!model.graph.nodes.contains { $0.opType == "MatMul" && $0.inputs[1]?.initializer != nil })
    }

    @Test func excludedNodesStayFloat() throws {
        let model = Self.model()
        let report = try PassManager(pipeline: "quantize{mode=dynamic,exclude=mm1}").run(on: model)[0]
        #expect(model.graph.nodes.contains { $0.name == "mm1" && $0.opType == "MatMul" })
        #expect(report.skipped.contains { $0.candidate == "MatMul 'mm1'" })
    }

    /// mm2 and mm3 share w2: in every mode both read one quantized tensor, never two copies.
    @Test(arguments: ["static", "weight-only"] + (hasCast ? ["dynamic"] : []))
    func tiedWeightsAreQuantizedOnceForEveryUser(mode: String) throws {
        let model = Self.model()
        try PassManager(
            pipeline: "quantize{mode=\(mode),weights=int8,block-size=16}", options: .init(calibration: Self.samples(4))
        ).run(on: model)
        #expect(Verifier().problems(in: model).isEmpty)
        let int8 = model.graph.initializers.filter { $0.initializer?.dataType == .int8 && ($0.initializer?.dims.count ?? 0) == 2 }
        #expect(int8.count == 2, "w1 and w2 quantized once each, got \(int8.map(\.name))")
        #expect(!model.graph.initializers.contains { $0.name == "w2" })
    }
}
