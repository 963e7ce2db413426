import ONNXIR

/// Errors of the interpreter. Each names the node, op and value involved.
public enum InterpreterError: Error, CustomStringConvertible {
    /// No kernel for an op at the model's opset; raised while planning, before anything runs.
    case unsupportedOp(op: String, domain: String, opset: Int, node: String)
    /// A node's inputs or attributes are not what the op allows.
    case invalidNode(node: String, op: String, reason: String)
    /// The caller's inputs do not match the graph's (name, dtype, rank, shape, missing).
    case invalidInput(String)
    /// The op has a kernel, but not for this data (an image format it cannot decode).
    case unsupportedData(node: String, op: String, reason: String)
    /// An allocation would exceed the memory cap.
    case memoryCapExceeded(node: String, op: String, requestedBytes: Int, heldBytes: Int, capBytes: Int)

    public var description: String {
        switch self {
        case .unsupportedOp(let op, let domain, let opset, let node):
            let d = domain.isEmpty ? "ai.onnx" : domain
            return "no kernel for op \(op) (domain \(d), opset \(opset)) used by node '\(node)'"
        case .invalidNode(let node, let op, let reason): return "node '\(node)' (\(op)): \(reason)"
        case .unsupportedData(let node, let op, let reason): return "node '\(node)' (\(op)): unsupported: \(reason)"
        case .invalidInput(let reason): return reason
        case .memoryCapExceeded(let node, let op, let requested, let held, let cap):
            return "node '\(node)' (\(op)) needs \(requested) more bytes with \(held) held, over the memory cap of \(cap) bytes"
        }
    }
}

/// Thrown by kernels, before they know which node they run for; the executor adds the node.
public struct KernelFailure: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
