import ONNXIR

/// A graph rewrite run as a step of a pipeline (`cleanup,prune{ratio=0.5}`).
///
/// Options are declared (`optionSpecs`) and validated before anything runs; `run` mutates the
/// model only through the context's IR API and reports what it changed and every candidate it
/// skipped with the reason. Whether the model was modified is computed by the pass manager, not
/// claimed by the pass.
public protocol GraphPass: SendableMetatype {
    /// Stable kebab-case id used in pipelines.
    static var name: String { get }
    /// One line for `whittle passes`.
    static var summary: String { get }
    static var optionSpecs: [PassOptionSpec] { get }
    init(options: PassOptions) throws
    func run(in context: PassContext) throws -> PassReport
}

extension GraphPass {
    public static var optionSpecs: [PassOptionSpec] { [] }
}

/// What a pass changed and what it left alone, with reasons.
public struct PassReport: Codable, Sendable {
    public var pass: String
    /// Human-readable changes ("folded BatchNormalization 'bn1' into Conv 'conv1'").
    public var changes: [String] = []
    /// Candidates the pass did not touch, each with its reason.
    public var skipped: [Skip] = []
    /// Filled by the pass manager.
    public var modified = false
    public var before: ModelCounts?
    public var after: ModelCounts?
    public var seconds: Double = 0
    public var options: [String: String] = [:]
    /// Sub-passes run by a composite pass (cleanup), in order.
    public var subReports: [PassReport]?

    public struct Skip: Codable, Sendable, Equatable {
        public var candidate: String
        public var reason: String
        public init(candidate: String, reason: String) {
            self.candidate = candidate
            self.reason = reason
        }
    }

    public init(pass: String) { self.pass = pass }

    public mutating func changed(_ what: String) { changes.append(what) }
    public mutating func skip(_ candidate: String, _ reason: String) { skipped.append(Skip(candidate: candidate, reason: reason)) }
}

/// Size figures before and after a pass.
public struct ModelCounts: Codable, Sendable, Equatable {
    public var nodes: Int
    public var parameters: Int64
    public var initializerBytes: Int64
    public var macs: Int64?

    public init(model: Model) {
        var nodes = 0
        for g in model.graph.allGraphs { nodes += g.nodes.count }
        self.nodes = nodes
        var seen = Set<ObjectIdentifier>()
        var parameters: Int64 = 0
        var bytes: Int64 = 0
        for g in model.graph.allGraphs {
            for v in g.initializers where seen.insert(ObjectIdentifier(v)).inserted {
                parameters += v.initializer?.elementCount ?? 0
                bytes += v.initializer?.byteCount ?? 0
            }
        }
        self.parameters = parameters
        self.initializerBytes = bytes
        self.macs = nil
    }
}
