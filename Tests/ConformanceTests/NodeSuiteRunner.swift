import Foundation
import Interpreter
import ONNXIR
import ONNXSerialization

/// Runs one ONNX backend node test case through the interpreter and judges it with the case's
/// tolerances (numpy's assert_allclose: |actual - expected| <= atol + rtol * |expected|).
struct NodeSuiteRunner {
    struct Case: Decodable {
        let name: String
        let op: String
        let domain: String
        let rtol: Double
        let atol: Double
        let dataSets: Int
        let plainTensors: Bool
        /// Data files holding a sequence or an empty optional: "input_0" -> "sequence" | "none".
        let containers: [String: String]?
    }

    enum Outcome: Equatable {
        case passed
        case failed(String)
        case unsupported(String)

        var label: String {
            switch self {
            case .passed: "passed"
            case .failed: "failed"
            case .unsupported: "unsupported"
            }
        }
    }

    let root: URL

    /// A case whose sequence or optional data an older generator did not write.
    static func lacksData(_ c: Case) -> Bool { !c.plainTensors && c.containers == nil }

    func run(_ c: Case) -> Outcome {
        if Self.lacksData(c) {
            return .unsupported("sequence or optional data not generated: rerun Tools/conformance/generate_node_tests.py")
        }
        let folder = root.appendingPathComponent(c.name)
        let model: Model
        do { model = try ModelLoader.load(contentsOf: folder.appendingPathComponent("model.onnx")) } catch {
            return .unsupported("load: \(error)")
        }
        let session: Session
        do { session = try Session(model: model) } catch let error as InterpreterError {
            if case .unsupportedOp = error { return .unsupported("\(error)") }
            return .failed("plan: \(error)")
        } catch { return .failed("plan: \(error)") }
        for k in 0..<c.dataSets {
            let data = folder.appendingPathComponent("test_data_set_\(k)")
            do {
                let sample = try DataFolder(data).samples[0]
                var feeds: [String: RuntimeTensor] = [:]
                for (i, url) in sample.inputs.enumerated() {
                    let type = model.graph.inputs.indices.contains(i) ? model.graph.inputs[i].type : nil
                    let value = try ContainerFile.read(url, kind: c.containers?["input_\(i)"])
                    let name = model.graph.inputs.indices.contains(i) ? model.graph.inputs[i].name : url.lastPathComponent
                    feeds[name] = try value.runtime(type: type)
                }
                let outputs = try session.run(feeds)
                for (i, url) in sample.expectedOutputs.enumerated() {
                    guard i < outputs.count else { return .failed("output \(i) missing") }
                    let expected = try ContainerFile.read(url, kind: c.containers?["output_\(i)"])
                    if let problem = try compare(outputs[i], expected, rtol: c.rtol, atol: c.atol) {
                        return .failed("output \(i): \(problem)")
                    }
                }
            } catch let error as InterpreterError {
                if case .unsupportedOp = error { return .unsupported("\(error)") }
                if case .unsupportedData = error { return .unsupported("\(error)") }
                return .failed("\(error)")
            } catch {
                return .failed("\(error)")
            }
        }
        return .passed
    }

    /// nil when `actual` matches `expected` (a tensor, a sequence, or an empty optional).
    func compare(_ actual: RuntimeTensor, _ expected: ContainerFile.Value, rtol: Double, atol: Double) throws -> String? {
        switch expected {
        case .tensor(let t):
            guard !actual.isContainer else { return "got \(actual), expected a tensor" }
            return try compare(actual, t, rtol: rtol, atol: atol)
        case .none:
            return actual.isEmptyOptional ? nil : "got \(actual), expected an empty optional"
        case .sequence(let items):
            guard let got = actual.sequence else { return "got \(actual), expected a sequence of \(items.count)" }
            guard got.count == items.count else { return "sequence of \(got.count), expected \(items.count)" }
            for (k, item) in items.enumerated() {
                if let problem = try compare(got[k], item, rtol: rtol, atol: atol) { return "element \(k): \(problem)" }
            }
            return nil
        }
    }

    /// nil when `actual` matches `expected` within tolerance.
    func compare(_ actual: RuntimeTensor, _ expected: Tensor, rtol: Double, atol: Double) throws -> String? {
        let expectedShape = expected.dims.map { Int($0) }
        guard actual.shape == expectedShape else { return "shape \(actual.shape), expected \(expectedShape)" }
        guard actual.dataType == expected.dataType else { return "type \(actual.dataType.name), expected \(expected.dataType.name)" }
        if case .strings(let s) = expected.storage { return actual.strings == s ? nil : "strings differ" }
        // Packed 4- and 2-bit types (float4e2m1 included) compare by their bytes: exact codes.
        if actual.dataType.isFloatingPoint && !actual.dataType.isSubByte {
            let a = try actual.floatValues()
            let e = try expected.floatValues()
            for i in 0..<a.count {
                let (x, y) = (Double(a[i]), Double(e[i]))
                if x.isNaN && y.isNaN { continue }
                if x == y { continue }
                if !(abs(x - y) <= atol + rtol * abs(y)) { return "element \(i) is \(x), expected \(y)" }
            }
            return nil
        }
        let bytes = try expected.buffer().bytes
        let same = memcmp(actual.raw, bytes.baseAddress!, bytes.count) == 0
        return same ? nil : "values differ"
    }
}

/// Test data files holding a TensorProto, a SequenceProto or an empty OptionalProto, as the
/// manifest's "containers" says. Sequences are read here with a minimal protobuf reader; their
/// tensors go through `TensorFile` (via a temporary file, as it reads files).
enum ContainerFile {
    indirect enum Value {
        case tensor(Tensor)
        case sequence([Value])
        case none

        func runtime(type: ValueType?) throws -> RuntimeTensor {
            switch self {
            case .tensor(let t): return try RuntimeTensor(t)
            case .none: return RuntimeTensor.emptyOptional(elementType: type?.elementTypeDeep ?? .float)
            case .sequence(let items):
                let elements = try items.map { try $0.runtime(type: nil) }
                return RuntimeTensor.makeSequence(elements, elementType: elements.first?.dataType ?? type?.elementTypeDeep ?? .float)
            }
        }
    }

    /// `kind` is the manifest's "sequence" or "none" for container files, nil for tensors.
    static func read(_ url: URL, kind: String?) throws -> Value {
        switch kind {
        case "sequence"?: return try decodeSequence(try Data(contentsOf: url))
        case "none"?: return .none
        default: return .tensor(try TensorFile.read(url))
        }
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// The fields of one protobuf message: (field number, wire type, varint value or bytes).
    static func fields(_ data: Data) throws -> [(Int, Int, UInt64, Data)] {
        let bytes = [UInt8](data)
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw Malformed(description: "truncated varint") }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        var result: [(Int, Int, UInt64, Data)] = []
        while i < bytes.count {
            let key = try varint()
            let (field, wire) = (Int(key >> 3), Int(key & 7))
            switch wire {
            case 0: result.append((field, wire, try varint(), Data()))
            case 2:
                let n = Int(try varint())
                guard n >= 0, i + n <= bytes.count else { throw Malformed(description: "truncated field \(field)") }
                result.append((field, wire, 0, Data(bytes[i..<(i + n)])))
                i += n
            case 1: i += 8
            case 5: i += 4
            default: throw Malformed(description: "unknown wire type \(wire)")
            }
        }
        return result
    }

    /// SequenceProto: tensor_values = 3, sequence_values = 5 (nested sequences).
    static func decodeSequence(_ data: Data) throws -> Value {
        var items: [Value] = []
        for (field, wire, _, payload) in try fields(data) where wire == 2 {
            if field == 3 { items.append(.tensor(try tensor(payload))) }
            if field == 5 { items.append(try decodeSequence(payload)) }
        }
        return .sequence(items)
    }

    private static func tensor(_ payload: Data) throws -> Tensor {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-node-\(getpid())-\(UUID().uuidString).pb")
        try payload.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try TensorFile.read(url)
    }
}

extension ValueType {
    /// The tensor element type inside sequences and optionals.
    var elementTypeDeep: DataType? {
        switch kind {
        case .tensor(let e, _): e
        case .sequence(let inner), .optional(let inner): inner?.elementTypeDeep
        default: nil
        }
    }
}
