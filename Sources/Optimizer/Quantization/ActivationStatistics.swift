import Foundation
import Interpreter
import ONNXIR

/// Streams activation statistics while the interpreter runs the calibration samples: running
/// min/max always, and for the histogram methods a second pass filling a fixed-range histogram,
/// so memory does not grow with the number of samples.
final class ActivationStatistics {
    enum Method: String { case minmax, percentile, entropy, mse }
    struct Range { var low: Float = .infinity; var high: Float = -.infinity }

    let method: Method
    let percentile: Float
    private(set) var ranges: [ObjectIdentifier: Range] = [:]
    private var histograms: [ObjectIdentifier: [Double]] = [:]
    static let bins = 2048

    init(method: Method, percentile: Float) {
        self.method = method
        self.percentile = percentile
    }

    /// Runs `samples` through `session`, observing the values in `watch` (graph inputs included).
    func collect(_ session: Session, samples: [[String: RuntimeTensor]], watch: [Value], progress: (Int, Int) -> Void) throws {
        let ids = Set(watch.map(ObjectIdentifier.init))
        let inputs = watch.filter { $0.isGraphInput }
        let passes = method == .minmax ? 1 : 2
        for pass in 0..<passes {
            for (i, feeds) in samples.enumerated() {
                for v in inputs { if let t = feeds[v.name] { observe(v, t, histogram: pass == 1) } }
                _ = try session.run(feeds) { value, tensor in
                    if ids.contains(ObjectIdentifier(value)) { self.observe(value, tensor, histogram: pass == 1) }
                }
                progress(pass * samples.count + i + 1, passes * samples.count)
            }
        }
    }

    private func observe(_ value: Value, _ tensor: RuntimeTensor, histogram: Bool) {
        guard tensor.dataType == .float else { return }
        let id = ObjectIdentifier(value)
        let data = tensor.floats
        if !histogram {
            var r = ranges[id] ?? Range()
            for x in data where x.isFinite {
                r.low = min(r.low, x)
                r.high = max(r.high, x)
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
