/// Accuracy budgets for `whittle optimize --verify --max-delta METRIC=VALUE`:
/// `max-abs` and `mean-abs` bound the worst output error, `cosine` is the least cosine
/// similarity allowed, `top1` the largest share of top-1 disagreements, and `accuracy` the
/// largest drop in labelled top-1 accuracy (needs labels beside the data).
public struct VerificationBudget: Sendable, Equatable {
    public static let metrics = ["max-abs", "mean-abs", "cosine", "top1", "accuracy"]
    public var limits: [String: Double]

    public init(limits: [String: Double]) { self.limits = limits }

    /// Parses `METRIC=VALUE` items.
    public init(parsing items: [String]) throws {
        var limits: [String: Double] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.metrics.contains(parts[0]), let v = Double(parts[1]) else {
                throw BudgetError.invalid(
                    "--max-delta '\(item)' must be METRIC=VALUE with METRIC one of \(Self.metrics.joined(separator: ", "))")
            }
            limits[parts[0]] = v
        }
        self.limits = limits
    }

    /// Every budget the result exceeds, as one-line explanations (empty: within budget).
    public func violations(of result: ModelComparison.Result) -> [String] {
        var problems: [String] = []
        for (metric, limit) in limits.sorted(by: { $0.key < $1.key }) {
            switch metric {
            case "max-abs":
                for o in result.outputs where o.maxAbs > limit {
                    problems.append("output '\(o.name)': max abs error \(o.maxAbs) > \(limit)")
                }
            case "mean-abs":
                for o in result.outputs where o.meanAbs > limit {
                    problems.append("output '\(o.name)': mean abs error \(o.meanAbs) > \(limit)")
                }
            case "cosine":
                for o in result.outputs where o.cosine < limit {
                    problems.append("output '\(o.name)': cosine similarity \(o.cosine) < \(limit)")
                }
            case "top1":
                if let t = result.top1Agreement, 1 - t > limit { problems.append("top-1 disagreement \(1 - t) > \(limit)") }
            case "accuracy":
                if let r = result.referenceAccuracy, let c = result.candidateAccuracy {
                    if r - c > limit { problems.append("top-1 accuracy dropped by \(r - c) (\(r) -> \(c)) > \(limit)") }
                } else {
                    problems.append("the accuracy budget needs labels (label.npy beside each sample's inputs)")
                }
            default: break
            }
        }
        return problems
    }
}

public enum BudgetError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String { if case .invalid(let m) = self { return m }; return "" }
}
