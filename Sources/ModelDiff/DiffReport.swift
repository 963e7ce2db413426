/// What `whittle diff A B` found. Nodes are matched by structure first, names second, so a
/// renamed copy reports no structural change.
public struct DiffReport: Codable, Sendable {
    public struct NodeRef: Codable, Sendable, Equatable {
        public var name: String
        public var op: String
    }
    public struct AttributeChange: Codable, Sendable, Equatable {
        public var name: String
        public var before: String?
        public var after: String?
    }
    public struct InputChange: Codable, Sendable, Equatable {
        public var index: Int
        public var before: String?
        public var after: String?
    }
    public struct InitializerChange: Codable, Sendable, Equatable {
        public var before: String
        public var after: String
        public var dtypeBefore: String
        public var dtypeAfter: String
        public var shapeBefore: [Int64]
        public var shapeAfter: [Int64]
        /// Numeric deltas when dtype and shape agree.
        public var maxAbs: Double?
        public var relativeL2: Double?
        public var parameterDelta: Int64
    }
    public struct NodeChange: Codable, Sendable {
        public var before: NodeRef
        public var after: NodeRef
        public var attributes: [AttributeChange]
        public var inputs: [InputChange]
        public var weights: [InitializerChange]
        public var parameterDelta: Int64
    }
    public struct TensorRef: Codable, Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int64]
    }
    public struct InterfaceChange: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        public var before: String?
        public var after: String?
    }
    public struct Totals: Codable, Sendable {
        public var nodesBefore: Int
        public var nodesAfter: Int
        public var parametersBefore: Int64
        public var parametersAfter: Int64
        public var bytesBefore: Int64
        public var bytesAfter: Int64
    }

    public var nodesAdded: [NodeRef] = []
    public var nodesRemoved: [NodeRef] = []
    public var nodesChanged: [NodeChange] = []
    public var nodesUnchanged = 0
    /// Matched nodes whose names differ (not a structural change).
    public var nodesRenamed = 0
    public var initializersAdded: [TensorRef] = []
    public var initializersRemoved: [TensorRef] = []
    /// Initializers changed outside any matched node's inputs.
    public var initializersChanged: [InitializerChange] = []
    public var interface: [InterfaceChange] = []
    public var metadata: [InterfaceChange] = []
    public var totals: Totals

    /// True when anything but names differs.
    public var hasStructuralChanges: Bool {
        !nodesAdded.isEmpty || !nodesRemoved.isEmpty || !nodesChanged.isEmpty || !initializersAdded.isEmpty
            || !initializersRemoved.isEmpty || !initializersChanged.isEmpty || interface.contains { $0.kind != "renamed" }
    }
}
