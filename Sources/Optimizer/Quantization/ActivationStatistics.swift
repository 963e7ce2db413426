import Foundation
import Interpreter
import ONNXIR

/// Streams activation statistics while the interpreter runs the calibration samples: running
/// min/max always, and for the histogram methods a second pass filling a fixed-range histogram,
/// so memory does not grow with the number of samples. Values asked for per-channel statistics
/// (SmoothQuant's outlier channels, bias correction's input means) also get a running min, max
/// and sum per channel along one axis: memory is one entry per channel, whatever the sample count.
final class ActivationStatistics {
    enum Method: String { case minmax, percentile, entropy, mse }
    struct Range { var low: Float = .infinity; var high: Float = -.infinity }
    /// Running per-channel statistics along `axis` (negative counts from the end).
    struct Channels {
        let axis: Int
        var low: [Float] = []
        var high: [Float] = []
        var sum: [Double] = []
        var count = 0
        var mean: [Float] { sum.map { count > 0 ? Float($0 / Double(count)) : 0 } }
        var absMax: [Float] { zip(low, high).map { max(abs($0), abs($1)) } }
    }

    let method: Method
    let percentile: Float
    private(set) var ranges: [ObjectIdentifier: Range] = [:]
    private var histograms: [ObjectIdentifier: [Double]] = [:]
    private(set) var channels: [ObjectIdentifier: Channels] = [:]
    static let bins = 2048

    /// Asks for per-channel statistics of `value` along `axis` in the next `collect`.
    func trackChannels(of value: Value, axis: Int) {
        if channels[ObjectIdentifier(value)] == nil { channels[ObjectIdentifier(value)] = Channels(axis: axis) }
    }

    init(method: Method, percentile: Float) {
        self.method = method
        self.percentile = percentile
    }

    /// Runs `samples` through `session`, observing the values in `watch` (graph inputs included).
    /// Up to `batch` samples run as one batch when every graph input has a symbolic first axis
    /// and the samples agree in shape: fewer, larger GEMMs. Statistics are order-free (min, max,
    /// sums, histograms), so batching changes nothing but speed, as long as the model treats
    /// batch rows independently; a batched run that fails (a Reshape that fixed the batch)
    /// falls back to one sample per run from scratch.
    ///
    /// One sample per run (the default) goes through `collectPartitioned` with one session per
    /// worker thread; `sessions` holds at least one.
    func collect(
        _ sessions: [Session], samples: CalibrationData, watch: [Value], graphInputs: [Value] = [], batch: Int = 1,
        progress: (Int, Int) -> Void
    ) throws {
        precondition(!sessions.isEmpty, "calibration needs a session")
        let session = sessions[0]
        let ids = Set(watch.map(ObjectIdentifier.init)).union(channels.keys)
        let inputs =
            watch.filter { $0.isGraphInput }
            + graphInputs.filter { channels[ObjectIdentifier($0)] != nil && !ids.contains(ObjectIdentifier($0)) }
        let passes = method == .minmax ? 1 : 2
        var chunk = Self.hasSymbolicBatch(graphInputs) ? max(1, batch) : 1
        if chunk == 1 {
            try collectPartitioned(sessions, samples: samples, ids: ids, inputs: inputs, passes: passes, progress: progress)
            return
        }
        var pass = 0
        while pass < passes {
            var done = 0
            do {
                for start in stride(from: 0, to: samples.count, by: chunk) {
                    let group = try (start..<min(samples.count, start + chunk)).map { try samples.sample($0) }
                    // Samples that disagree in shape run one by one.
                    let runs = group.count > 1 && Self.agree(group) ? [try Self.stack(group)] : group
                    for feeds in runs {
                        for v in inputs { if let t = feeds[v.name] { observe(v, t, histogram: pass == 1) } }
                        _ = try session.run(feeds, observing: ids) { value, tensor in
                            if ids.contains(ObjectIdentifier(value)) { self.observe(value, tensor, histogram: pass == 1) }
                        }
                    }
                    done += group.count
                    progress(pass * samples.count + done, passes * samples.count)
                }
            } catch  where chunk > 1 && pass == 0 {
                // The model does not take stacked samples: start over one sample at a time.
                chunk = 1
                ranges = [:]
                for (id, c) in channels { channels[id] = Channels(axis: c.axis) }
                continue
            }
            pass += 1
        }
    }

    /// Whether every graph input has a symbolic (or unknown) first dimension.
    static func hasSymbolicBatch(_ graphInputs: [Value]) -> Bool {
        let data = graphInputs.filter { $0.initializer == nil }
        guard !data.isEmpty else { return false }
        return data.allSatisfy { v in
            guard let d0 = v.knownType?.shape?.dimensions.first else { return false }
            return d0.value == nil
        }
    }

    /// Whether the samples have the same inputs with the same shapes.
    static func agree(_ group: [[String: RuntimeTensor]]) -> Bool {
        guard let first = group.first else { return false }
        guard first.values.allSatisfy({ $0.rank > 0 && $0.strings == nil }) else { return false }
        return group.allSatisfy { s in s.count == first.count && s.allSatisfy { first[$0.key]?.shape == $0.value.shape } }
    }

    /// Concatenates samples along axis 0.
    static func stack(_ group: [[String: RuntimeTensor]]) throws -> [String: RuntimeTensor] {
        var feeds: [String: RuntimeTensor] = [:]
        for (name, t) in group[0] {
            precondition(t.rank > 0 && t.strings == nil, "stack only samples that `agree`")
            var bytes: [UInt8] = []
            bytes.reserveCapacity(t.byteCount * group.count)
            for s in group {
                guard let u = s[name] else { continue }
                bytes += UnsafeRawBufferPointer(start: u.raw, count: u.byteCount)
            }
            var dims = t.shape.map { Int64($0) }
            dims[0] *= Int64(group.count)
            feeds[name] = try RuntimeTensor(Tensor(dataType: t.dataType, dims: dims, storage: .bytes(TensorBuffer(bytes))))
        }
        return feeds
    }

    /// Samples are dealt to `partitions` accumulators (sample i to i % partitions), each filled
    /// in sample order by one worker at a time, then merged in partition order. Min, max and
    /// histogram counts do not depend on order; channel sums do, so the fixed partition count
    /// (not the machine's core count) makes the result the same on every machine, run after run.
    static let partitions = 4

    private func collectPartitioned(
        _ sessions: [Session], samples: CalibrationData, ids: Set<ObjectIdentifier>, inputs: [Value], passes: Int,
        progress: (Int, Int) -> Void
    ) throws {
        let workers = min(sessions.count, Self.partitions)
        var done = 0
        for pass in 0..<passes {
            let parts = (0..<Self.partitions).map { _ in emptyCopy(keepingRanges: pass == 1) }
            try withoutActuallyEscaping(progress) { progress in
                let run = PartitionedRun(
                    sessions: sessions, samples: samples, parts: parts, ids: ids, inputs: inputs, histogram: pass == 1,
                    total: passes * samples.count, done: done, progress: progress)
                DispatchQueue.concurrentPerform(iterations: workers) { w in run.work(worker: w, workers: workers) }
                if let failure = run.failure { throw failure }
                done = run.done
            }
            for part in parts { merge(part) }
        }
    }

    /// A fresh accumulator asking for the same per-channel statistics (and, for the histogram
    /// pass, holding the ranges that bound the histograms).
    private func emptyCopy(keepingRanges: Bool) -> ActivationStatistics {
        let copy = ActivationStatistics(method: method, percentile: percentile)
        for (id, c) in channels { copy.channels[id] = Channels(axis: c.axis) }
        if keepingRanges { copy.ranges = ranges }
        return copy
    }

    /// Adds `other`'s statistics to these.
    private func merge(_ other: ActivationStatistics) {
        for (id, r) in other.ranges {
            var mine = ranges[id] ?? Range()
            mine.low = min(mine.low, r.low)
            mine.high = max(mine.high, r.high)
            ranges[id] = mine
        }
        for (id, h) in other.histograms {
            histograms[id] = zip(histograms[id] ?? [Double](repeating: 0, count: Self.bins), h).map { $0 + $1 }
        }
        for (id, c) in other.channels where !c.low.isEmpty {
            guard var mine = channels[id] else { continue }
            if mine.low.isEmpty {
                mine = c
            } else if mine.low.count == c.low.count {
                for k in 0..<c.low.count {
                    mine.low[k] = min(mine.low[k], c.low[k])
                    mine.high[k] = max(mine.high[k], c.high[k])
                    mine.sum[k] += c.sum[k]
                }
                mine.count += c.count
            }
            channels[id] = mine
        }
    }

    fileprivate func observe(_ value: Value, _ tensor: RuntimeTensor, histogram: Bool) {
        guard tensor.dataType == .float else { return }
        let id = ObjectIdentifier(value)
        let data = tensor.floats
        if !histogram, channels[id] != nil { observeChannels(id, tensor) }
        if !histogram {
            var r = ranges[id] ?? Range()
            if let base = data.baseAddress {
                let seen = FiniteReductions.minMaxSum(base, count: data.count)
                r.low = min(r.low, seen.low)
                r.high = max(r.high, seen.high)
            }
            ranges[id] = r
            return
        }
        guard let r = ranges[id] else { return }
        let bound = max(abs(r.low), abs(r.high))
        guard bound > 0 else { return }
        var h = histograms[id] ?? [Double](repeating: 0, count: Self.bins)
        let scale = Float(Self.bins) / bound
        for x in data where x.isFinite { h[min(Self.bins - 1, Int(abs(x) * scale))] += 1 }
        histograms[id] = h
    }

    private func observeChannels(_ id: ObjectIdentifier, _ tensor: RuntimeTensor) {
        guard var c = channels[id], tensor.rank > 0 else { return }
        let axis = c.axis < 0 ? tensor.rank + c.axis : c.axis
        guard axis >= 0 && axis < tensor.rank else { return }
        let n = tensor.shape[axis], inner = tensor.shape[(axis + 1)...].reduce(1, *)
        if c.low.isEmpty {
            c.low = [Float](repeating: .infinity, count: n)
            c.high = [Float](repeating: -.infinity, count: n)
            c.sum = [Double](repeating: 0, count: n)
        }
        guard c.low.count == n, n > 0, inner > 0 else { return }
        let data = tensor.floats
        var partial = [Float](repeating: 0, count: n)
        for start in stride(from: 0, to: data.count, by: n * inner) {
            if inner == 1 {
                // The channel is the last axis (MatMul inputs): one element per channel and row.
                for ch in 0..<n where data[start + ch].isFinite {
                    let x = data[start + ch]
                    c.low[ch] = min(c.low[ch], x)
                    c.high[ch] = max(c.high[ch], x)
                    partial[ch] += x
                }
                continue
            }
            for ch in 0..<n {
                let seen = FiniteReductions.minMaxSum(data.baseAddress! + start + ch * inner, count: inner)
                c.low[ch] = min(c.low[ch], seen.low)
                c.high[ch] = max(c.high[ch], seen.high)
                partial[ch] += seen.sum
            }
        }
        for ch in 0..<n { c.sum[ch] += Double(partial[ch]) }
        c.count += data.count / n
        channels[id] = c
    }

    /// Per-channel statistics of `value`, when they were asked for and seen.
    func channelStatistics(of value: Value) -> Channels? {
        guard let c = channels[ObjectIdentifier(value)], !c.low.isEmpty else { return nil }
        return c
    }

    /// The calibrated [low, high] of `value`.
    func range(of value: Value) -> (Float, Float)? {
        guard let r = ranges[ObjectIdentifier(value)], r.low <= r.high else { return nil }
        guard method != .minmax, let h = histograms[ObjectIdentifier(value)] else { return (r.low, r.high) }
        let bound = max(abs(r.low), abs(r.high))
        let clip = Float(clipBin(h)) / Float(Self.bins) * bound
        return (max(r.low, -clip), min(r.high, clip))
    }

    /// Bin index (exclusive end) where the magnitude is clipped, by the chosen method.
    private func clipBin(_ h: [Double]) -> Int {
        let total = h.reduce(0, +)
        guard total > 0 else { return Self.bins }
        switch method {
        case .minmax: return Self.bins
        case .percentile:
            var cumulative = 0.0
            for (i, c) in h.enumerated() {
                cumulative += c
                if cumulative / total >= Double(percentile) / 100 { return i + 1 }
            }
            return Self.bins
        case .mse:
            // Clipping at bin t: error of clipped values plus uniform rounding noise of the step.
            var best = Self.bins, bestError = Double.infinity
            for t in stride(from: 128, through: Self.bins, by: 16) {
                let step = Double(t) / 255
                var error = 0.0
                for (i, c) in h.enumerated() where c > 0 {
                    let center = Double(i) + 0.5
                    error += center > Double(t) ? c * (center - Double(t)) * (center - Double(t)) : c * step * step / 12
                }
                if error < bestError { bestError = error; best = t }
            }
            return best
        case .entropy:
            // KL divergence between the clipped distribution and its 128-level quantization.
            var best = Self.bins, bestDivergence = Double.infinity
            for t in stride(from: 128, through: Self.bins, by: 16) {
                var p = Array(h[0..<t])
                p[t - 1] += h[t...].reduce(0, +)
                let levels = 128, per = Double(t) / Double(levels)
                var q = [Double](repeating: 0, count: t)
                for l in 0..<levels {
                    let start = Int(Double(l) * per), end = max(start + 1, Int(Double(l + 1) * per))
                    let slice = p[start..<min(end, t)]
                    let nonzero = slice.filter { $0 > 0 }.count
                    let mass = slice.reduce(0, +)
                    for i in start..<min(end, t) where p[i] > 0 { q[i] = mass / Double(nonzero) }
                }
                let ps = p.reduce(0, +), qs = q.reduce(0, +)
                var divergence = 0.0
                for i in 0..<t where p[i] > 0 && q[i] > 0 { divergence += (p[i] / ps) * log((p[i] / ps) / (q[i] / qs)) }
                if divergence < bestDivergence { bestDivergence = divergence; best = t }
            }
            return best
        }
    }
}

/// One pass of `collectPartitioned`: worker w fills partitions w, w + workers, ... in turn, each
/// with its own session; nothing but the locked counter and failure is shared between workers.
private final class PartitionedRun: @unchecked Sendable {
    let sessions: [Session]
    let samples: CalibrationData
    let parts: [ActivationStatistics]
    let ids: Set<ObjectIdentifier>
    let inputs: [Value]
    let histogram: Bool
    let total: Int
    let progress: (Int, Int) -> Void
    private let lock = NSLock()
    private(set) var done: Int
    private(set) var failure: Error?

    init(
        sessions: [Session], samples: CalibrationData, parts: [ActivationStatistics], ids: Set<ObjectIdentifier>, inputs: [Value],
        histogram: Bool, total: Int, done: Int, progress: @escaping (Int, Int) -> Void
    ) {
        self.sessions = sessions
        self.samples = samples
        self.parts = parts
        self.ids = ids
        self.inputs = inputs
        self.histogram = histogram
        self.total = total
        self.done = done
        self.progress = progress
    }

    func work(worker w: Int, workers: Int) {
        do {
            for p in stride(from: w, to: parts.count, by: workers) {
                let part = parts[p]
                for i in stride(from: p, to: samples.count, by: parts.count) {
                    let feeds = try samples.sample(i)
                    for v in inputs { if let t = feeds[v.name] { part.observe(v, t, histogram: histogram) } }
                    _ = try sessions[w].run(feeds, observing: self.ids) { value, tensor in
                        if self.ids.contains(ObjectIdentifier(value)) { part.observe(value, tensor, histogram: self.histogram) }
                    }
                    lock.lock()
                    done += 1
                    progress(done, total)
                    lock.unlock()
                }
            }
        } catch {
            lock.lock()
            if failure == nil { failure = error }
            lock.unlock()
        }
    }
}
