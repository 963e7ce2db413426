import Foundation
import Interpreter
import ONNXIR
import ONNXSerialization

/// Builds interpreter feeds from `--input NAME=FILE` pairs or a data folder sample.
enum InputFeeds {
    /// `NAME=FILE` pairs; the file type follows its extension (.pb or .npy).
    static func fromPairs(_ pairs: [String], model: Model) throws -> [String: RuntimeTensor] {
        var feeds: [String: RuntimeTensor] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "=") else { throw CommandFailure("--input '\(pair)' must be NAME=FILE") }
            let name = String(pair[..<eq])
            let path = String(pair[pair.index(after: eq)...])
            feeds[name] = try load(path)
        }
        return feeds
    }

    /// One sample of a data folder: `input_K` feeds the K-th input the caller must provide (or
    /// the input named like the tensor, when the file names one).
    static func fromSample(_ sample: DataFolder.Sample, model: Model) throws -> [String: RuntimeTensor] {
        let required = model.graph.inputs.filter { !$0.isInitializer }
        var feeds: [String: RuntimeTensor] = [:]
        for (k, url) in sample.inputs.enumerated() {
            let tensor = try readTensor(url)
            let name =
                required.contains(where: { $0.name == tensor.name }) ? tensor.name : (k < required.count ? required[k].name : tensor.name)
            feeds[name] = try RuntimeTensor(tensor)
        }
        return feeds
    }

    /// Labels beside each sample's inputs (`label.npy` or `label.pb`), when every sample has them.
    static func labels(_ folder: DataFolder) throws -> [[Int]]? {
        var result: [[Int]] = []
        for sample in folder.samples {
            let candidates = ["label.npy", "label.pb"].map { sample.folder.appendingPathComponent($0) }
            guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { return nil }
            result.append(try readTensor(url).int64Values().map { Int($0) })
        }
        return result
    }

    static func load(_ path: String) throws -> RuntimeTensor {
        try RuntimeTensor(readTensor(URL(fileURLWithPath: path)))
    }

    static func readTensor(_ url: URL) throws -> Tensor {
        do { return try TensorFile.read(url) } catch let error as SerializationError { throw CommandFailure(error.description) }
    }

    /// Seeded random inputs of the declared shapes (symbolic dims become 1).
    static func random(for model: Model, seed: UInt64, fixedDims: [String: Int64] = [:]) throws -> [String: RuntimeTensor] {
        var generator = SplitMix64(seed: seed)
        var feeds: [String: RuntimeTensor] = [:]
        for input in model.graph.inputs where !input.isInitializer {
            guard let type = input.type, case .tensor(let elementType, let shape) = type.kind, let shape else {
                throw CommandFailure("input '\(input.name)' has no tensor type with a known rank; provide --inputs")
            }
            let dims = shape.dimensions.map { d -> Int in
                switch d {
                case .value(let v): return Int(v)
                case .symbol(let s): return Int(fixedDims[s] ?? 1)
                case .unknown: return 1
                }
            }
            let count = dims.reduce(1, *)
            switch elementType {
            case .float: feeds[input.name] = .float32(dims, (0..<count).map { _ in generator.nextGaussian() })
            case .int64: feeds[input.name] = .int64(dims, (0..<count).map { _ in Int64(generator.next() % 4) })
            case .int32: feeds[input.name] = try packed(Int32.self, .int32, dims) { Int32(generator.next() % 4) }
            case .double: feeds[input.name] = try packed(Double.self, .double, dims) { Double(generator.nextGaussian()) }
            case .bool, .uint8: feeds[input.name] = try packed(UInt8.self, elementType, dims) { UInt8(generator.next() % 2) }
            case .int8: feeds[input.name] = try packed(Int8.self, .int8, dims) { Int8(generator.next() % 4) }
            default: throw CommandFailure("cannot make random \(elementType.name) data for input '\(input.name)'; provide --inputs")
            }
        }
        return feeds
    }
}

private func packed<T>(_: T.Type, _ type: DataType, _ dims: [Int], _ make: () -> T) throws -> RuntimeTensor {
    let values = (0..<dims.reduce(1, *)).map { _ in make() }
    let buffer = values.withUnsafeBytes { TensorBuffer(copying: $0) }
    return try RuntimeTensor(Tensor(dataType: type, dims: dims.map(Int64.init), storage: .bytes(buffer)))
}

/// A small seeded generator for reproducible random inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func nextGaussian() -> Float {
        let u = max(nextUniform(), 1e-7)
        let v = nextUniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
