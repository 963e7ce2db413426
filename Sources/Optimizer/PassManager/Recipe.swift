import Foundation

/// A recipe file (`Schemas/recipe.schema.json`): the pipeline as JSON, plus optional budgets.
/// Decoding is strict: unknown keys are errors, as the schema says.
public struct Recipe: Decodable, Sendable {
    public var description: String?
    public var pipeline: [PipelineStep]
    public var maxDelta: [String: Double]

    enum Keys: String, CodingKey, CaseIterable { case schema = "$schema", description, pipeline, maxDelta }
    enum StepKeys: String, CodingKey, CaseIterable { case pass, options }
    static let budgetMetrics: Set<String> = ["max-abs", "mean-abs", "cosine", "top1", "accuracy"]

    public static func load(_ url: URL) throws -> Recipe {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PassError.invalidPipeline("cannot read recipe \(url.path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(Recipe.self, from: data) } catch let error as PassError { throw error } catch {
            throw PassError.invalidPipeline("recipe \(url.path) is not valid JSON for Schemas/recipe.schema.json: \(error)")
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try Self.rejectUnknown(c.allKeys, allowed: Keys.allCases.map(\.rawValue), at: "recipe")
        description = try c.decodeIfPresent(String.self, forKey: AnyKey("description"))
        var items = try c.nestedUnkeyedContainer(forKey: AnyKey("pipeline"))
        var steps: [PipelineStep] = []
        while !items.isAtEnd {
            let item = try items.nestedContainer(keyedBy: AnyKey.self)
            try Self.rejectUnknown(item.allKeys, allowed: StepKeys.allCases.map(\.rawValue), at: "pipeline step")
            let pass = try item.decode(String.self, forKey: AnyKey("pass"))
            var options: [String: String] = [:]
            if item.contains(AnyKey("options")) {
                let o = try item.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("options"))
                for key in o.allKeys {
                    if let b = try? o.decode(Bool.self, forKey: key) {
                        options[key.stringValue] = b ? "true" : "false"
                    } else if let i = try? o.decode(Int.self, forKey: key) {
                        options[key.stringValue] = String(i)
                    } else if let d = try? o.decode(Double.self, forKey: key) {
                        options[key.stringValue] = String(d)
                    } else {
                        options[key.stringValue] = try o.decode(String.self, forKey: key)
                    }
                }
            }
            steps.append(PipelineStep(pass: pass, options: options))
        }
        guard !steps.isEmpty else { throw PassError.invalidPipeline("recipe pipeline is empty") }
        pipeline = steps
        maxDelta = [:]
        if c.contains(AnyKey("maxDelta")) {
            let budgets = try c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("maxDelta"))
            try Self.rejectUnknown(budgets.allKeys, allowed: Array(Self.budgetMetrics), at: "maxDelta")
            for key in budgets.allKeys { maxDelta[key.stringValue] = try budgets.decode(Double.self, forKey: key) }
        }
    }

    private static func rejectUnknown(_ keys: [AnyKey], allowed: [String], at place: String) throws {
        if let bad = keys.first(where: { !allowed.contains($0.stringValue) }) {
            throw PassError.invalidPipeline(
                "unknown key '\(bad.stringValue)' in \(place); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
