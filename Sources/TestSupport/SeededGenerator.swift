import ONNXIR

/// A deterministic generator (SplitMix64) for seeded test data: the same seed gives the same
/// numbers on every machine and run.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float in `range` from the top 24 bits (exactly representable steps).
    public mutating func nextFloat(in range: ClosedRange<Float>) -> Float {
        range.lowerBound + Float(next() >> 40) / Float(1 << 24) * (range.upperBound - range.lowerBound)
    }

    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in nextFloat(in: range) }
    }

    /// A float32 tensor of `dims` with values in `range`.
    public mutating func tensor(dims: [Int64], in range: ClosedRange<Float> = -1...1, name: String = "") -> Tensor {
        .float32(name: name, dims: dims, values: floats(Int(TensorShape.elementCount(of: dims) ?? 0), in: range))
    }
}
