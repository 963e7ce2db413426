import Foundation
import Interpreter
import ONNXIR
import Testing

@testable import Optimizer

@Suite struct PipelineParserTests {
    @Test func parsesPassesAndOptions() throws {
        let steps = try PipelineParser.parse("cleanup, prune{ratio=0.5},quantize{activations=static,per-channel=true}")
        #expect(
            steps == [
                PipelineStep(pass: "cleanup"), PipelineStep(pass: "prune", options: ["ratio": "0.5"]),
                PipelineStep(pass: "quantize", options: ["activations": "static", "per-channel": "true"]),
            ])
    }

    @Test(arguments: ["", "cleanup,", "cleanup{a=1", "cleanup{a}", "cleanup{a=1,a=2}", "clean up", "cleanup;dead-code"])
    func rejectsMalformedPipelines(text: String) {
        #expect(throws: PassError.self) { _ = try PipelineParser.parse(text) }
    }

    @Test func unknownPassesAndOptionsAreRejectedBeforeRunning() {
        #expect(throws: PassError.self) { _ = try PassManager(pipeline: "cleanup,frobnicate") }
        #expect(throws: PassError.self) { _ = try PassManager(pipeline: "cleanup{rounds=3}") }
        #expect(throws: PassError.self) { _ = try PassManager(pipeline: "cleanup{max-rounds=zero}") }
        #expect(throws: PassError.self) { _ = try PassManager(pipeline: "cleanup{max-rounds=1000}") }
    }

    @Test func everyPassIsRegisteredOnceWithKebabCaseName() {
        let names = PassRegistry.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names { #expect(name.allSatisfy { $0.isLowercase || $0 == "-" || $0.isNumber }) }
        for member in CleanupPass.members { #expect(names.contains(member.name)) }
    }
}

/// Small graphs for cleanup tests.
enum CleanupModels {
    /// x -> Identity -> Relu -> Identity -> y, plus a Constant feeding Add, and a dead Neg.
    static func cluttered() -> Model {
        let g = Graph(name: "cluttered")
        let x = g.addInput(named: "x", type: .tensor(.float, TensorShape([.value(2)])))
        _ = g.addInput(named: "unused", type: .tensor(.float, TensorShape([.value(2)])))
        let id1 = g.makeNode(opType: "Identity", name: "id1", inputs: [x], outputNames: ["a"]).outputs[0]!
        let relu = g.makeNode(opType: "Relu", name: "relu", inputs: [id1], outputNames: ["b"]).outputs[0]!
        let c = g.makeNode(
            opType: "Constant", name: "c", attributes: [Attribute(name: "value", value: .tensor(.float32(dims: [2], values: [1, 2])))],
            inputs: [], outputNames: ["c_out"]
        ).outputs[0]!
        let add = g.makeNode(opType: "Add", name: "add", inputs: [relu, c], outputNames: ["d"]).outputs[0]!
        _ = g.makeNode(opType: "Neg", name: "dead", inputs: [add], outputNames: ["e"])
        let y = g.makeNode(opType: "Identity", name: "id2", inputs: [add], outputNames: ["y"]).outputs[0]!
        g.addOutput(y)
        _ = g.addInitializer(.float32(dims: [1], values: [0]), named: "stale")
        return Model(graph: g, irVersion: 8, opsetImports: [OperatorSetID(domain: "", version: 17)])
    }
}

@Suite struct CleanupTests {
    @Test func cleanupReachesAFixedPointAndKeepsNumerics() throws {
        let model = CleanupModels.cluttered()
        let feeds = ["x": RuntimeTensor.float32([2], [-1, 3]), "unused": .float32([2], [0, 0])]
        let before = try Session(model: model, registry: testRegistry).run(feeds)
        let reports = try PassManager(pipeline: "cleanup").run(on: model)
        #expect(reports[0].modified)
        #expect(model.graph.nodes.map(\.opType) == ["Relu", "Add"])
        #expect(model.graph.outputs.map(\.name) == ["y"])
        #expect(model.graph.inputs.map(\.name) == ["x"])
        #expect(model.graph.initializers.map(\.name) == ["c_out"])
        #expect(Verifier().problems(in: model).isEmpty)
        let after = try Session(model: model, registry: testRegistry).run(["x": feeds["x"]!])
        #expect(try after[0].floatValues() == before[0].floatValues())
        // A second run changes nothing.
        let again = try PassManager(pipeline: "cleanup").run(on: model)
        #expect(!again[0].modified)
    }

    @Test func identityFeedingAGraphOutputFromAnInputIsKept() throws {
        let g = Graph(name: "passthrough")
        let x = g.addInput(named: "x", type: .tensor(.float, TensorShape([.value(1)])))
        g.addOutput(g.makeNode(opType: "Identity", name: "id", inputs: [x], outputNames: ["y"]).outputs[0]!)
        let model = Model(graph: g)
        let report = try PassManager(pipeline: "identity").run(on: model)[0]
        #expect(!report.modified)
        #expect(report.skipped.first?.candidate == "Identity 'id'")
    }

    @Test func unusedInputsStayWhenAsked() throws {
        let model = CleanupModels.cluttered()
        let report = try PassManager(pipeline: "dead-code{keep-inputs=true}").run(on: model)[0]
        #expect(model.graph.inputs.count == 2)
        #expect(report.skipped.contains { $0.candidate == "input 'unused'" })
    }
}

/// The binary kernels plus stand-ins for Relu/Neg/Identity/Constant, so these tests do not
/// depend on other kernel families.
let testRegistry = KernelRegistry(
    KernelRegistry.standard.supportedOps.compactMap { KernelRegistry.standard.lookup(domain: $0.domain, op: $0.op, opset: 17) } + [
        KernelDescriptor("Relu") { _ in UnaryStandIn { max($0, 0) } },
        KernelDescriptor("Neg") { _ in UnaryStandIn { -$0 } },
        KernelDescriptor("Identity") { _ in UnaryStandIn { $0 } },
        KernelDescriptor("Constant") { ctx in ConstantStandIn(try RuntimeTensor(try ctx.tensor("value")!)) },
    ])

final class ConstantStandIn: Kernel {
    let value: RuntimeTensor
    init(_ value: RuntimeTensor) { self.value = value }
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] { [value] }
}

final class UnaryStandIn: Kernel {
    let f: (Float) -> Float
    init(_ f: @escaping (Float) -> Float) { self.f = f }
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = inputs[0]!
        return [RuntimeTensor.float32(x.shape, x.floats.map(f))]
    }
}
