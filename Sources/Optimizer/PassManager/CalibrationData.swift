import Interpreter

/// Calibration samples for passes that run the interpreter over user data. A folder's samples are
/// loaded one at a time, when a pass asks for them, so memory holds one sample (or one batch)
/// whatever their number; in-memory samples (tests, library users) are wrapped as they are.
public struct CalibrationData: @unchecked Sendable {
    public let count: Int
    private let loader: (Int) throws -> [String: RuntimeTensor]

    /// Samples produced on demand by `loader` (index 0..<count), for example read from files.
    public init(count: Int, loader: @escaping (Int) throws -> [String: RuntimeTensor]) {
        self.count = count
        self.loader = loader
    }

    public init(_ samples: [[String: RuntimeTensor]]) {
        self.init(count: samples.count) { samples[$0] }
    }

    public var isEmpty: Bool { count == 0 }

    /// Feeds (by input name) of sample `index`.
    public func sample(_ index: Int) throws -> [String: RuntimeTensor] {
        precondition(index >= 0 && index < count, "calibration sample \(index) out of 0..<\(count)")
        return try loader(index)
    }
}
