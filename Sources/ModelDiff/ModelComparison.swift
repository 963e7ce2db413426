import Interpreter
import ONNXIR

/// Runs two models on the same inputs and compares their outputs, and optionally intermediate
/// tensors that both graphs name the same way (to show where an error enters).
public struct ModelComparison {
    public struct Result: Codable, Sendable {
        public var outputs: [TensorComparison]
        /// Classifier-shaped outputs' agreement, averaged (nil when no output is [N, C]).
        public var top1Agreement: Double?
        public var samples: Int
        /// With layer-wise comparison: shared intermediate tensors in the reference graph's order.
        public var layers: [TensorComparison]?
        /// With labels: top-1 accuracy of each model on the first classifier-shaped output.
        public var referenceAccuracy: Double?
        public var candidateAccuracy: Double?
    }

    let reference: Session
    let candidate: Session
    let layerwise: Bool

    public init(reference: Session, candidate: Session, layerwise: Bool = false) {
        self.reference = reference
        self.candidate = candidate
        self.layerwise = layerwise
    }

    /// `labels[i]`, when given, holds the class labels of sample i (one per row of the batch).
    public func compare(samples: [[String: RuntimeTensor]], labels: [[Int]]? = nil) throws -> Result {
        var outputs: [TensorComparison] = []
        var correct = (reference: 0, candidate: 0, total: 0)
        var layers: [String: TensorComparison] = [:]
        var layerOrder: [String] = []
        for (sampleIndex, feeds) in samples.enumerated() {
            var referenceTensors: [String: RuntimeTensor] = [:]
            var order: [String] = []
            let a = try reference.run(
                feeds,
                observe: layerwise
                    ? { v, t in
                        referenceTensors[v.name] = t; order.append(v.name)
                    } : nil)
            var candidateTensors: [String: RuntimeTensor] = [:]
            let b = try candidate.run(feeds, observe: layerwise ? { v, t in candidateTensors[v.name] = t } : nil)
            guard a.count == b.count else { throw ComparisonError.outputCountMismatch(reference: a.count, candidate: b.count) }
            for i in 0..<a.count {
                let c = try TensorComparison(name: reference.outputNames[i], reference: a[i], candidate: b[i])
                if outputs.count <= i { outputs.append(c) } else { outputs[i].merge(c) }
            }
            if let labels, sampleIndex < labels.count, let k = a.firstIndex(where: { $0.rank == 2 && $0.shape[1] > 1 }) {
                let sampleLabels = labels[sampleIndex]
                let ra = try Self.argmaxRows(a[k]), rb = try Self.argmaxRows(b[k])
                for (row, label) in sampleLabels.enumerated() where row < ra.count {
                    correct.reference += ra[row] == label ? 1 : 0
                    correct.candidate += rb[row] == label ? 1 : 0
                    correct.total += 1
                }
            }
            if layerwise {
                for name in order {
                    guard let x = referenceTensors[name], let y = candidateTensors[name], x.shape == y.shape,
                        let c = try? TensorComparison(name: name, reference: x, candidate: y)
                    else { continue }
                    if layers[name] == nil { layerOrder.append(name) }
                    if layers[name] == nil { layers[name] = c } else { layers[name]!.merge(c) }
                }
            }
        }
        let agreements = outputs.compactMap(\.top1Agreement)
        var result = Result(
            outputs: outputs, top1Agreement: agreements.isEmpty ? nil : agreements.reduce(0, +) / Double(agreements.count),
            samples: samples.count, layers: layerwise ? layerOrder.compactMap { layers[$0] } : nil)
        if correct.total > 0 {
            result.referenceAccuracy = Double(correct.reference) / Double(correct.total)
            result.candidateAccuracy = Double(correct.candidate) / Double(correct.total)
        }
        return result
    }

    static func argmaxRows(_ t: RuntimeTensor) throws -> [Int] {
        let values = try t.floatValues()
        let classes = t.shape[1]
        return (0..<t.shape[0]).map { r in
            var best = 0
            for c in 1..<classes where values[r * classes + c] > values[r * classes + best] { best = c }
            return best
        }
    }
}
