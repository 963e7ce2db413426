/// Errors of the IR layer. Messages name the culprit (node, op, value, tensor) and say what was
/// expected versus found.
public enum IRError: Error, CustomStringConvertible, Equatable {
    /// The model breaks an ONNX rule (SSA, order, undefined input, bad tensor).
    case malformed(String)
    /// Valid ONNX that Whittle does not handle (yet): the message says what.
    case unsupported(String)
    /// A verification failure: every problem found, each naming its node or value.
    case verificationFailed([String])

    public var description: String {
        switch self {
        case .malformed(let m): return m
        case .unsupported(let m): return "unsupported: \(m)"
        case .verificationFailed(let problems):
            return problems.count == 1
                ? problems[0] : "\(problems.count) problems: " + problems.joined(separator: "; ")
        }
    }
}
