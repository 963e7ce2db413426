import Interpreter
import ONNXIR

/// How far one tensor is from a reference: max and mean absolute error, cosine similarity, and
/// for classifier-shaped outputs ([N, C], C > 1) how often the arg-max agrees.
public struct TensorComparison: Codable, Sendable, Equatable {
    public var name: String
    public var maxAbs: Double
    public var meanAbs: Double
    public var cosine: Double
    /// Rows whose arg-max agrees, over rows compared; nil when the output is not [N, C].
    public var top1Agreement: Double?
    public var elements: Int

    public init(name: String, reference: RuntimeTensor, candidate: RuntimeTensor) throws {
        guard reference.shape == candidate.shape else {
            throw ComparisonError.shapeMismatch(name: name, reference: reference.shape, candidate: candidate.shape)
        }
        let a = try reference.floatValues()
        let b = try candidate.floatValues()
        var maxAbs = 0.0
        var sumAbs = 0.0
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for i in 0..<a.count {
            let x = Double(a[i])
            let y = Double(b[i])
            let d = abs(x - y)
            if d > maxAbs || d.isNaN { maxAbs = d.isNaN ? .infinity : d }
            sumAbs += d
            dot += x * y
            na += x * x
            nb += y * y
        }
        self.name = name
        self.maxAbs = maxAbs
        self.meanAbs = a.isEmpty ? 0 : sumAbs / Double(a.count)
        self.cosine = na == 0 && nb == 0 ? 1 : (na == 0 || nb == 0 ? 0 : min(1, max(-1, dot / (na * nb).squareRoot())))
        self.elements = a.count
        if reference.rank == 2, reference.shape[1] > 1, reference.shape[0] > 0 {
            let (rows, classes) = (reference.shape[0], reference.shape[1])
            var agree = 0
            for r in 0..<rows {
                let ra = a[(r * classes)..<((r + 1) * classes)]
                let rb = b[(r * classes)..<((r + 1) * classes)]
                if ra.indices.max(by: { ra[$0] < ra[$1] }) == rb.indices.max(by: { rb[$0] < rb[$1] }) { agree += 1 }
            }
            top1Agreement = Double(agree) / Double(rows)
        }
    }

    /// Merges the comparison of another sample of the same output (max of maxima, weighted means).
    public mutating func merge(_ other: TensorComparison) {
        let total = Double(elements + other.elements)
        meanAbs = total == 0 ? 0 : (meanAbs * Double(elements) + other.meanAbs * Double(other.elements)) / total
        cosine = total == 0 ? 1 : (cosine * Double(elements) + other.cosine * Double(other.elements)) / total
        if let t = top1Agreement, let o = other.top1Agreement {
            top1Agreement = (t * Double(elements) + o * Double(other.elements)) / total
        }
        maxAbs = max(maxAbs, other.maxAbs)
        elements += other.elements
    }
}

public enum ComparisonError: Error, CustomStringConvertible {
    case shapeMismatch(name: String, reference: [Int], candidate: [Int])
    case outputCountMismatch(reference: Int, candidate: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let name, let r, let c): return "output '\(name)' has shape \(r) in the first model and \(c) in the second"
        case .outputCountMismatch(let r, let c): return "the models have \(r) and \(c) outputs"
        }
    }
}
