/// The declared type of a pass option, used to validate user input before anything runs.
public enum PassOptionType: Sendable, Equatable, CustomStringConvertible {
    case bool
    case int(ClosedRange<Int>?)
    case double(ClosedRange<Double>?)
    case string
    case choice([String])
    case list

    public var description: String {
        switch self {
        case .bool: "bool"
        case .int(let r): r.map { "int in \($0.lowerBound)...\($0.upperBound)" } ?? "int"
        case .double(let r): r.map { "number in \($0.lowerBound)...\($0.upperBound)" } ?? "number"
        case .string: "string"
        case .choice(let c): c.joined(separator: "|")
        case .list: "list (a;b;c)"
        }
    }
}

/// One option a pass accepts: name, type, default and a one-line description.
public struct PassOptionSpec: Sendable {
    public let name: String
    public let type: PassOptionType
    public let defaultValue: String
    public let help: String

    public init(_ name: String, _ type: PassOptionType, default defaultValue: String, _ help: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// Options given to a pass, validated against its specs: unknown names and ill-typed values are
/// errors that name the pass and option. Typed getters fall back to the declared default.
public struct PassOptions: Sendable {
    public let passName: String
    private let values: [String: String]
    private let specs: [String: PassOptionSpec]

    public init(passName: String, specs: [PassOptionSpec], values: [String: String]) throws {
        self.passName = passName
        self.specs = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        for (key, value) in values {
            guard let spec = self.specs[key] else {
                let known = specs.map(\.name).sorted().joined(separator: ", ")
                throw PassError.invalidOptions(
                    pass: passName, reason: "unknown option '\(key)'" + (known.isEmpty ? " (it takes none)" : "; it takes: \(known)"))
            }
            try Self.validate(value, spec, passName)
        }
        self.values = values
    }

    private static func validate(_ value: String, _ spec: PassOptionSpec, _ pass: String) throws {
        func fail() -> PassError { .invalidOptions(pass: pass, reason: "option '\(spec.name)' must be \(spec.type), got '\(value)'") }
        switch spec.type {
        case .bool: guard ["true", "false", "1", "0", "yes", "no"].contains(value.lowercased()) else { throw fail() }
        case .int(let range):
            guard let v = Int(value), range?.contains(v) ?? true else { throw fail() }
        case .double(let range):
            guard let v = Double(value), range?.contains(v) ?? true else { throw fail() }
        case .choice(let choices): guard choices.contains(value) else { throw fail() }
        case .string, .list: break
        }
    }

    private func raw(_ name: String) -> String {
        precondition(specs[name] != nil, "pass '\(passName)' reads undeclared option '\(name)'")
        return values[name] ?? specs[name]!.defaultValue
    }

    public func bool(_ name: String) -> Bool { ["true", "1", "yes"].contains(raw(name).lowercased()) }
    public func int(_ name: String) -> Int { Int(raw(name)) ?? 0 }
    public func double(_ name: String) -> Double { Double(raw(name)) ?? 0 }
    public func string(_ name: String) -> String { raw(name) }
    public func list(_ name: String) -> [String] {
        raw(name).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    /// Options as given (for reports).
    public var given: [String: String] { values }
}

/// Errors of the optimizer; the pass manager adds which pass failed after which.
public enum PassError: Error, CustomStringConvertible {
    case unknownPass(String, known: [String])
    case invalidPipeline(String)
    case invalidOptions(pass: String, reason: String)
    case failed(pass: String, after: [String], reason: String)
    case verificationFailed(pass: String, after: [String], problems: [String])

    public var description: String {
        switch self {
        case .unknownPass(let name, let known): return "unknown pass '\(name)'; available: \(known.joined(separator: ", "))"
        case .invalidPipeline(let reason): return "invalid pipeline: \(reason)"
        case .invalidOptions(let pass, let reason): return "pass '\(pass)': \(reason)"
        case .failed(let pass, let after, let reason):
            return "pass '\(pass)'\(after.isEmpty ? "" : " (after \(after.joined(separator: ", ")))") failed: \(reason)"
        case .verificationFailed(let pass, let after, let problems):
            return
                "pass '\(pass)'\(after.isEmpty ? "" : " (after \(after.joined(separator: ", ")))") left a graph that does not verify: \(problems.prefix(5).joined(separator: "; "))"
        }
    }
}
