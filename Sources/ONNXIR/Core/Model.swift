import Foundation

/// `OperatorSetIdProto`: an opset version imported for a domain.
public struct OperatorSetID: Hashable, Sendable {
    public var domain: String
    public var version: Int64
    public var extras: ProtoExtras
    public init(domain: String, version: Int64, extras: ProtoExtras = .init()) {
        self.domain = domain
        self.version = version
        self.extras = extras
    }
}

/// A model-local function (`FunctionProto`). Its body is a graph whose inputs and outputs are the
/// function's formal parameters (untyped).
public final class Function {
    public var name: String
    public var domain: String
    public var body: Graph
    /// Names of the attributes the function takes (`attribute`).
    public var attributeNames: [String]
    /// Attributes with default values (`attribute_proto`, ONNX 1.13+). Read from the file's
    /// unknown fields, which stay the source of truth when saving.
    public var attributeDefaults: [Attribute] = []
    public var opsetImports: [OperatorSetID]
    public var docString: String
    public var extras: ProtoExtras

    public init(
        name: String, domain: String, body: Graph, attributeNames: [String] = [],
        opsetImports: [OperatorSetID] = [], docString: String = "", extras: ProtoExtras = .init()
    ) {
        self.name = name
        self.domain = domain
        self.body = body
        self.attributeNames = attributeNames
        self.opsetImports = opsetImports
        self.docString = docString
        self.extras = extras
    }
}

/// A `ModelProto`: metadata, opset imports, the main graph and model-local functions.
public final class Model {
    public var irVersion: Int64
    public var opsetImports: [OperatorSetID]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int64
    public var docString: String
    public var graph: Graph
    public var metadataProps: [StringEntry]
    public var functions: [Function]
    public var extras: ProtoExtras
    /// The file this model was read from, when it was; external data resolves against its folder.
    public var sourceURL: URL?

    public init(
        graph: Graph, irVersion: Int64 = 8, opsetImports: [OperatorSetID] = [OperatorSetID(domain: "", version: 17)],
        producerName: String = "", producerVersion: String = "", domain: String = "",
        modelVersion: Int64 = 0, docString: String = "", metadataProps: [StringEntry] = [],
        functions: [Function] = [], extras: ProtoExtras = .init()
    ) {
        self.graph = graph
        self.irVersion = irVersion
        self.opsetImports = opsetImports
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.domain = domain
        self.modelVersion = modelVersion
        self.docString = docString
        self.metadataProps = metadataProps
        self.functions = functions
        self.extras = extras
    }

    /// The opset version imported for `domain` ("" and "ai.onnx" are the same domain).
    public func opsetVersion(for domain: String) -> Int64? {
        let wanted = domain == "ai.onnx" ? "" : domain
        return opsetImports.first { ($0.domain == "ai.onnx" ? "" : $0.domain) == wanted }?.version
    }

    /// The model-local function a node calls, if any.
    public func function(for node: Node) -> Function? {
        functions.first { $0.name == node.opType && $0.domain == node.domain }
    }
}
