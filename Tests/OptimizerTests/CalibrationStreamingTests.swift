import Foundation
import Interpreter
import ONNXIR
import TestSupport
import Testing

@testable import Optimizer

/// Calibration reads its samples one at a time from `CalibrationData` and stacks them into
/// batches only as a speed-up: the calibrated parameters are the same whatever the batch size,
/// and each sample is loaded once per statistics pass, never kept.
@Suite struct CalibrationStreamingTests {
    /// Counts loads; calibration workers load samples concurrently.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var loads: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }
        func add() {
            lock.lock()
            count += 1
            lock.unlock()
        }
    }

    static func data(_ counter: Counter, count: Int) -> CalibrationData {
        let samples = QuantizationTests.samples(count, seed: 21)
        return CalibrationData(count: count) { i in
            counter.add()
            return samples[i]
        }
    }

    /// Scales of every activation QuantizeLinear, in graph order.
    static func activationScales(_ model: Model) throws -> [Float] {
        try model.graph.nodes.filter { $0.opType == "QuantizeLinear" }.flatMap { try #require($0.inputs[1]?.initializer).floatValues() }
    }

    @Test(arguments: [("minmax", 1), ("percentile", 2)])
    func samplesAreLoadedOncePerPass(method: String, passes: Int) throws {
        let counter = Counter()
        let model = QuantizationTests.model()
        try PassManager(pipeline: "quantize{calibration=\(method)}", options: .init(calibration: Self.data(counter, count: 10))).run(
            on: model)
        #expect(counter.loads == 10 * passes)
    }

    @Test func batchingDoesNotChangeTheCalibratedParameters() throws {
        let one = QuantizationTests.model(), batched = QuantizationTests.model()
        try PassManager(pipeline: "quantize{calibration-batch=1}", options: .init(calibration: Self.data(Counter(), count: 10))).run(
            on: one)
        try PassManager(pipeline: "quantize{calibration-batch=4}", options: .init(calibration: Self.data(Counter(), count: 10))).run(
            on: batched)
        let a = try Self.activationScales(one), b = try Self.activationScales(batched)
        #expect(!a.isEmpty && a == b)
    }

    /// Statistics over 1, 2 or 3 worker sessions are bit for bit the same: samples go to fixed
    /// partitions merged in order, so the core count never shows in the quantized model.
    @Test func workerCountDoesNotChangeTheStatistics() throws {
        let model = QuantizationTests.model()
        let watched = model.graph.nodes.compactMap { $0.outputs.first ?? nil }
        var results: [([Float], [Double])] = []
        for workers in 1...3 {
            let stats = ActivationStatistics(method: .minmax, percentile: 99.9)
            for v in watched { stats.trackChannels(of: v, axis: 1) }
            let sessions = try (0..<workers).map { _ in try Session(model: model) }
            try stats.collect(sessions, samples: Self.data(Counter(), count: 11), watch: watched) { _, _ in }
            let ranges = watched.flatMap { v in stats.range(of: v).map { [$0.0, $0.1] } ?? [] }
            let sums = watched.flatMap { stats.channelStatistics(of: $0)?.sum ?? [] }
            results.append((ranges, sums))
        }
        #expect(!results[0].0.isEmpty && !results[0].1.isEmpty)
        #expect(results.allSatisfy { $0.0 == results[0].0 && $0.1 == results[0].1 })
    }
}

/// The vector reductions (16 lanes with AVX-512, 8 with AVX2) agree with the scalar rule (finite
/// elements only) at every length.
@Suite struct FiniteReductionTests {
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100])
    func matchScalarLoop(count: Int) {
        var values = seededValues(count, seed: UInt64(count), in: -5...5)
        if count > 3 {
            values[1] = .nan
            values[2] = .infinity
            values[count - 1] = -.infinity
        }
        let r = values.withUnsafeBufferPointer {
            FiniteReductions.minMaxSum($0.baseAddress ?? UnsafePointer(bitPattern: 64)!, count: count)
        }
        let finite = values.filter(\.isFinite)
        #expect(r.low == (finite.min() ?? .infinity))
        #expect(r.high == (finite.max() ?? -.infinity))
        #expect(abs(r.sum - finite.reduce(0, +)) <= 1e-4 * max(1, finite.map(abs).reduce(0, +)))
    }
}
