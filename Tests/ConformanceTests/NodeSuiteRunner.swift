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

    func run(_ c: Case) -> Outcome {
        guard c.plainTensors else { return .unsupported("sequence or optional data") }
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
                    let tensor = try TensorFile.read(url)
                    let name = model.graph.inputs.indices.contains(i) ? model.graph.inputs[i].name : tensor.name
                    feeds[name] = try RuntimeTensor(tensor)
                }
                let outputs = try session.run(feeds)
                for (i, url) in sample.expectedOutputs.enumerated() {
                    guard i < outputs.count else { return .failed("output \(i) missing") }
                    if let problem = try compare(outputs[i], try TensorFile.read(url), rtol: c.rtol, atol: c.atol) {
                        return .failed("output \(i): \(problem)")
                    }
                }
            } catch let error as InterpreterError {
                if case .unsupportedOp = error { return .unsupported("\(error)") }
                return .failed("\(error)")
            } catch {
                return .failed("\(error)")
            }
        }
        return .passed
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
