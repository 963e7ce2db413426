/// One step of a pipeline as the user spelled it: a pass name and its raw options.
public struct PipelineStep: Sendable, Equatable, Codable {
    public var pass: String
    public var options: [String: String]
    public init(pass: String, options: [String: String] = [:]) {
        self.pass = pass
        self.options = options
    }
}

/// Parses `cleanup,prune{ratio=0.5},quantize{activations=static,per-channel=true}`.
/// Commas inside braces separate options; values may not contain `,{}=`.
public enum PipelineParser {
    public static func parse(_ text: String) throws -> [PipelineStep] {
        var steps: [PipelineStep] = []
        var i = text.startIndex
        func skipSpaces() { while i < text.endIndex && text[i].isWhitespace { i = text.index(after: i) } }
        while true {
            skipSpaces()
            let nameStart = i
            while i < text.endIndex && (text[i].isLetter || text[i].isNumber || text[i] == "-" || text[i] == "_") {
                i = text.index(after: i)
            }
            let name = String(text[nameStart..<i])
            guard !name.isEmpty else {
                throw PassError.invalidPipeline(
                    i < text.endIndex ? "expected a pass name at '\(text[i...])'" : "expected a pass name at the end of '\(text)'")
            }
            var options: [String: String] = [:]
            skipSpaces()
            if i < text.endIndex && text[i] == "{" {
                i = text.index(after: i)
                guard let close = text[i...].firstIndex(of: "}") else {
                    throw PassError.invalidPipeline("'{' after '\(name)' is never closed")
                }
                let body = text[i..<close]
                for item in body.split(separator: ",") {
                    let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw PassError.invalidPipeline(
                            "option '\(item.trimmingCharacters(in: .whitespaces))' of '\(name)' must be key=value")
                    }
                    guard options[parts[0]] == nil else {
                        throw PassError.invalidPipeline("option '\(parts[0])' of '\(name)' is given twice")
                    }
                    options[parts[0]] = parts[1]
                }
                i = text.index(after: close)
            }
            steps.append(PipelineStep(pass: name, options: options))
            skipSpaces()
            if i == text.endIndex { break }
            guard text[i] == "," else { throw PassError.invalidPipeline("expected ',' between passes at '\(text[i...])'") }
            i = text.index(after: i)
        }
        return steps
    }
}
