import Foundation
import Interpreter
import ONNXIR
import ONNXSerialization
import TestSupport
import Testing

@testable import Optimizer

func seededValues(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return generator.floats(count, in: range)
}

extension GraphBuilder {
    /// A float32 initializer of seeded values in `range` (BatchNormalization variances and scales
    /// must be positive).
    func weight(_ name: String, _ dims: [Int64], in range: ClosedRange<Float>) -> Value {
        initializer(name, random.tensor(dims: dims, in: range))
    }

    func floats(_ name: String, _ dims: [Int64], _ values: [Float]) -> Value {
        initializer(name, .float32(dims: dims, values: values))
    }
}

/// Op types of the main graph's nodes, in order.
func opTypes(_ model: Model) -> [String] { model.graph.nodes.map(\.opType) }

/// Standard kernels plus test stand-ins for ops the interpreter does not have yet (each used only
/// while the standard registry lacks it).
let cleanupRegistry: KernelRegistry = {
    var descriptors: [KernelDescriptor] = []
    var seen = Set<String>()
    for (domain, op) in KernelRegistry.standard.supportedOps {
        for opset in 1...24 {
            guard let d = KernelRegistry.standard.lookup(domain: domain, op: op, opset: opset),
                seen.insert("\(domain)|\(op)|\(d.sinceVersion)").inserted
            else { continue }
            descriptors.append(d)
        }
    }
    for standIn in ReferenceKernels.all where KernelRegistry.standard.lookup(domain: standIn.domain, op: standIn.op, opset: 24) == nil {
        descriptors.append(standIn)
    }
    return KernelRegistry(descriptors)
}()

/// Seeded float32 feeds for every graph input that is not an initializer (declared dims must be
/// concrete, or given in `dims`).
func seededFeeds(for model: Model, seed: UInt64 = 42, dims override: [String: [Int]] = [:]) -> [String: RuntimeTensor] {
    var feeds: [String: RuntimeTensor] = [:]
    var s = seed
    for input in model.graph.inputs where !input.isInitializer {
        s += 1
        let shape = override[input.name] ?? input.knownType?.shape?.concreteSizes?.map { Int($0) } ?? []
        let count = shape.reduce(1, *)
        if input.knownType?.elementType == .int64 {
            feeds[input.name] = .int64(shape, (0..<count).map { Int64($0 % 3) })
        } else {
            feeds[input.name] = .float32(shape, seededValues(count, seed: s &* 104_729))
        }
    }
    return feeds
}

func runModel(_ model: Model, _ feeds: [String: RuntimeTensor]) throws -> [RuntimeTensor] {
    try Session(model: model, registry: cleanupRegistry).run(feeds)
}

/// Outputs agree in type and shape and, elementwise, |a - b| <= relative * |a| + absolute.
func expectClose(
    _ before: [RuntimeTensor], _ after: [RuntimeTensor], relative: Float, absolute: Float = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(before.count == after.count, sourceLocation: sourceLocation)
    for (a, b) in zip(before, after) {
        #expect(a.dataType == b.dataType && a.shape == b.shape, "\(a) vs \(b)", sourceLocation: sourceLocation)
        guard a.dataType == b.dataType, a.shape == b.shape else { continue }
        if a.dataType == .string {
            #expect(a.strings == b.strings, sourceLocation: sourceLocation)
            continue
        }
        let x = try a.floatValues()
        let y = try b.floatValues()
        var worst: Float = 0
        var ok = true
        for (u, v) in zip(x, y) {
            let err = abs(u - v)
            worst = max(worst, err)
            if !(err <= relative * abs(u) + absolute) { ok = false }
        }
        #expect(ok, "outputs differ by up to \(worst)", sourceLocation: sourceLocation)
    }
}

/// Runs `pipeline` on `model` and checks what every pass test checks: the verifier passes, the
/// outputs on seeded feeds agree with the original within `relative`, and the model survives a
/// save-load round trip with identical outputs. Returns the reports.
@discardableResult
func checkPipeline(
    _ pipeline: String, on model: Model, relative: Float = 1e-5, absolute: Float = 1e-6, feeds: [String: RuntimeTensor]? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [PassReport] {
    let feeds = feeds ?? seededFeeds(for: model)
    let before = try runModel(model, feeds)
    let reports = try PassManager(pipeline: pipeline).run(on: model)
    #expect(Verifier().problems(in: model).isEmpty, "\(Verifier().problems(in: model))", sourceLocation: sourceLocation)
    let after = try runModel(model, feeds)
    try expectClose(before, after, relative: relative, absolute: absolute, sourceLocation: sourceLocation)
    let loaded = try ModelLoader.load(bytes: try ModelWriter.serialize(model))
    #expect(Verifier().problems(in: loaded).isEmpty, sourceLocation: sourceLocation)
    #expect(loaded.graph.nodes.map(\.opType) == model.graph.nodes.map(\.opType), sourceLocation: sourceLocation)
    try expectClose(after, try runModel(loaded, feeds), relative: 0, absolute: 0, sourceLocation: sourceLocation)
    return reports
}

/// Runs one pass alone and returns its report (for negative cases).
func runPass(_ pipeline: String, on model: Model) throws -> PassReport {
    let reports = try PassManager(pipeline: pipeline).run(on: model)
    #expect(Verifier().problems(in: model).isEmpty)
    return reports[0]
}

extension PassReport {
    /// Every skip reason, for `contains` checks.
    var skipText: String { skipped.map { "\($0.candidate): \($0.reason)" }.joined(separator: "\n") }
}
