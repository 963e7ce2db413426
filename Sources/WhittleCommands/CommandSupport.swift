import ArgumentParser
import Foundation
import Interpreter
import ONNXIR
import ONNXSerialization

/// A failure to report as one line on stderr with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

enum CommandSupport {
    /// Loads a model, turning every error into a one-line `CommandFailure`.
    static func loadModel(_ path: String) throws -> Model {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CommandFailure("\(path): no such file")
        }
        do {
            return try ModelLoader.load(contentsOf: url, displayName: path)
        } catch let error as SerializationError {
            throw CommandFailure(error.description)
        } catch let error as IRError {
            throw CommandFailure("\(path): \(error.description)")
        }
    }

    /// Writes `value` as pretty, key-sorted JSON to stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}

extension CommandSupport {
    static func session(for model: Model, threads: Int, memoryCap: Int? = nil) throws -> Session {
        do {
            return try Session(model: model, options: .init(threads: threads, memoryCapBytes: memoryCap))
        } catch let error as InterpreterError {
            throw CommandFailure("\(model.sourceURL?.relativePath ?? "model"): \(error.description)")
        }
    }

    static func run(
        _ session: Session, _ feeds: [String: RuntimeTensor], profile: ((Node, UInt64) -> Void)? = nil
    ) throws -> [RuntimeTensor] {
        do {
            return try session.run(feeds, profile: profile)
        } catch let error as InterpreterError {
            throw CommandFailure("\(session.model.sourceURL?.relativePath ?? "model"): \(error.description)")
        }
    }

    static func dataFolder(_ path: String) throws -> DataFolder {
        do { return try DataFolder(URL(fileURLWithPath: path)) } catch let error as SerializationError {
            throw CommandFailure(error.description)
        }
    }
}
