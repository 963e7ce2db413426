import ONNXIR

/// A compiled operator. Built once per node (attributes parsed into typed fields with the opset's
/// defaults), then only computes. Inputs absent in the node are `nil`.
public protocol Kernel: AnyObject {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?]
}

/// A kernel family's entry: the op it implements, from which opset version on, and how to build it.
public struct KernelDescriptor: Sendable {
    public let domain: String
    public let op: String
    public let sinceVersion: Int
    public let make: @Sendable (KernelBuildContext) throws -> any Kernel

    public init(_ op: String, domain: String = "", since: Int = 1, make: @escaping @Sendable (KernelBuildContext) throws -> any Kernel) {
        self.op = op
        self.domain = domain
        self.sinceVersion = since
        self.make = make
    }
}

/// What a kernel sees while it is built: the node, the opset in force, typed attribute readers
/// whose errors name the node, and subgraph compilation for control flow.
public struct KernelBuildContext {
    public let node: Node
    public let opset: Int
    let compileSubgraph: (Graph) throws -> ExecutionPlan

    public func fail(_ reason: String) -> InterpreterError {
        .invalidNode(node: node.name, op: node.opType, reason: reason)
    }

    public func int(_ name: String, default value: Int) throws -> Int {
        guard let a = node.attribute(name) else { return value }
        guard let v = a.int else { throw fail("attribute '\(name)' must be an int") }
        return Int(v)
    }
    public func int(_ name: String) throws -> Int? {
        guard let a = node.attribute(name) else { return nil }
        guard let v = a.int else { throw fail("attribute '\(name)' must be an int") }
        return Int(v)
    }
    public func float(_ name: String, default value: Float) throws -> Float {
        guard let a = node.attribute(name) else { return value }
        guard let v = a.float else { throw fail("attribute '\(name)' must be a float") }
        return v
    }
    public func ints(_ name: String) throws -> [Int]? {
        guard let a = node.attribute(name) else { return nil }
        guard let v = a.ints else { throw fail("attribute '\(name)' must be a list of ints") }
        return v.map { Int($0) }
    }
    public func floats(_ name: String) throws -> [Float]? {
        guard let a = node.attribute(name) else { return nil }
        guard let v = a.floats else { throw fail("attribute '\(name)' must be a list of floats") }
        return v
    }
    public func string(_ name: String, default value: String) throws -> String {
        guard let a = node.attribute(name) else { return value }
        guard let v = a.string else { throw fail("attribute '\(name)' must be a string") }
        return v
    }
    public func tensor(_ name: String) throws -> Tensor? {
        guard let a = node.attribute(name) else { return nil }
        guard let v = a.tensor else { throw fail("attribute '\(name)' must be a tensor") }
        return v
    }
    public func graph(_ name: String) throws -> ExecutionPlan {
        guard let g = node.attribute(name)?.graph else { throw fail("attribute '\(name)' must be a graph") }
        return try compileSubgraph(g)
    }
}

/// Checks used by kernels at run time; failures are re-thrown by the executor with the node.
public enum Require {
    public static func input(_ inputs: [RuntimeTensor?], _ index: Int, _ what: String = "input") throws -> RuntimeTensor {
        guard index < inputs.count, let t = inputs[index] else { throw KernelFailure("missing required \(what) \(index)") }
        guard !t.isContainer else { throw KernelFailure("\(what) \(index) is \(t), expected a tensor") }
        return t
    }
    /// The elements of a sequence input.
    public static func sequence(_ inputs: [RuntimeTensor?], _ index: Int, _ what: String = "input_sequence") throws -> RuntimeTensor {
        guard index < inputs.count, let t = inputs[index] else { throw KernelFailure("missing required \(what) \(index)") }
        guard t.sequence != nil else { throw KernelFailure("\(what) \(index) is \(t), expected a sequence") }
        return t
    }
    public static func type(_ t: RuntimeTensor, _ allowed: [DataType], _ what: String) throws {
        guard allowed.contains(t.dataType) else {
            throw KernelFailure("\(what) has type \(t.dataType.name); supported: \(allowed.map(\.name).joined(separator: ", "))")
        }
    }
}
