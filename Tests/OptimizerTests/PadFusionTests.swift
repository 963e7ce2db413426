import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// Pad folded into Conv / AveragePool pads; numerics within 1e-5 relative.
@Suite struct PadFusionTests {
    static func padded(_ b: GraphBuilder, _ x: Value, _ pads: [Int64], mode: String = "constant", value: Float? = nil) -> Value {
        var inputs: [Value?] = [x, b.ints("pads", pads)]
        if let value { inputs.append(b.floats("value", [], [value])) }
        return b.node("Pad", inputs, ["mode": .string(Array(mode.utf8))])
    }

    @Test func zeroPadFoldsIntoConvPads() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 6, 6])
        let p = Self.padded(b, x, [0, 0, 1, 2, 0, 0, 2, 1], value: 0)
        b.output(b.node("Conv", [p, b.weight("W", [3, 2, 3, 3])], ["pads": .ints([1, 1, 1, 1])], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-pad", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Conv"])
        #expect(model.graph.nodes[0].attribute("pads")?.ints == [2, 3, 3, 2])
    }

    /// Before opset 11 Pad takes pads and value as attributes.
    @Test func attributePadFoldsIntoConvBeforeOpset11() throws {
        let b = GraphBuilder(opset: 10)
        let x = b.input("x", .float, [1, 2, 5, 5])
        let p = b.node("Pad", [x], ["pads": .ints([0, 0, 1, 0, 0, 0, 0, 1]), "value": .float(0)])
        b.output(b.node("Conv", [p, b.weight("W", [3, 2, 3, 3])], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-pad", on: model, relative: 1e-5, absolute: 1e-5)
        #expect(opTypes(model) == ["Conv"])
        #expect(model.graph.nodes[0].attribute("pads")?.ints == [1, 0, 0, 1])
    }

    @Test func zeroPadFoldsIntoAveragePoolCountingThePadding() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 5, 5])
        let p = Self.padded(b, x, [0, 0, 1, 1, 0, 0, 1, 1])
        b.output(b.node("AveragePool", [p], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2])], name: "y"))
        let model = b.model()
        try checkPipeline("fuse-pad", on: model, relative: 1e-5, absolute: 1e-6)
        #expect(opTypes(model) == ["AveragePool"])
        #expect(model.graph.nodes[0].attribute("count_include_pad")?.int == 1)
    }

    @Test func padBeforeMaxPoolStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 5, 5])
        let p = Self.padded(b, x, [0, 0, 1, 1, 0, 0, 1, 1])
        b.output(b.node("MaxPool", [p], ["kernel_shape": .ints([3, 3])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-pad", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("-inf"))
    }

    @Test(arguments: [
        ("reflect", Float(0), [Int64](arrayLiteral: 0, 0, 1, 1, 0, 0, 1, 1), "not in constant mode"),
        ("constant", 1, [0, 0, 1, 1, 0, 0, 1, 1], "pads with 1.0, not 0"),
        ("constant", 0, [0, 1, 1, 1, 0, 0, 1, 1], "pads the batch or channel axis"),
        ("constant", 0, [0, 0, -1, 0, 0, 0, 0, 0], "crops"),
    ])
    func padsConvCannotExpressStay(mode: String, value: Float, pads: [Int64], reason: String) throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 6, 6])
        let p = Self.padded(b, x, pads, mode: mode, value: value)
        b.output(b.node("Conv", [p, b.weight("W", [3, pads[1] == 0 ? 2 : 3, 3, 3])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-pad", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains(reason))
    }

    /// The pool's own pads are excluded from its averages while the Pad's zeros are counted.
    @Test func averagePoolExcludingItsOwnPadsStays() throws {
        let b = GraphBuilder()
        let x = b.input("x", .float, [1, 2, 5, 5])
        let p = Self.padded(b, x, [0, 0, 1, 1, 0, 0, 1, 1])
        b.output(b.node("AveragePool", [p], ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])], name: "y"))
        let model = b.model()
        let report = try runPass("fuse-pad", on: model)
        #expect(!report.modified)
        #expect(report.skipText.contains("count_include_pad=0"))
    }
}
