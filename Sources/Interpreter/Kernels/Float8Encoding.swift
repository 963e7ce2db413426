import ONNXIR

/// float32 to the ONNX float8 formats (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ), rounding to nearest
/// even. Out-of-range values saturate to the largest finite value when `saturate` (Cast's default
/// from opset 19), else become infinity (E5M2) or NaN (the formats without infinity).
struct Float8Encoder {
    let type: DataType
    /// Non-negative finite values in increasing order with their codes, plus one sentinel step past
    /// the largest (code 0xFF) that stands for "rounds out of range".
    private let values: [Float]
    private let codes: [UInt8]
    private let nanCode: UInt8
    private let infinityCode: UInt8?
    private let hasNegativeZero: Bool

    init(_ type: DataType) throws {
        guard [.float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz].contains(type) else {
            throw KernelFailure("cannot encode \(type.name)")
        }
        self.type = type
        var table: [(Float, UInt8)] = []
        for code in UInt8(0)...0x7F {
            let v = ElementConversion.float8ToFloat(code, type)
            if v.isFinite { table.append((v, code)) }
        }
        table.sort { $0.0 < $1.0 }
        let (largest, largestCode) = table[table.count - 1]
        let step = largest - table[table.count - 2].0
        // The sentinel's parity is that of the code after the largest, so ties round as the
        // format's next (unrepresentable) value would.
        table.append((largest + step, largestCode &+ 1))
        values = table.map(\.0)
        codes = table.map(\.1)
        switch type {
        case .float8e4m3fn: (nanCode, infinityCode, hasNegativeZero) = (0x7F, nil, true)
        case .float8e5m2: (nanCode, infinityCode, hasNegativeZero) = (0x7F, 0x7C, true)
        default: (nanCode, infinityCode, hasNegativeZero) = (0x80, nil, false)
        }
    }

    func encode(_ x: Float, saturate: Bool) -> UInt8 {
        if x.isNaN { return nanCode }
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        let magnitude = x.magnitude
        var code: UInt8
        if magnitude.isInfinite {
            code = 0xFF
        } else {
            // Binary search for the first value >= magnitude, then pick the nearer neighbour.
            var lo = 0, hi = values.count - 1
            if magnitude >= values[hi] {
                lo = hi
            } else {
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if values[mid] < magnitude { lo = mid + 1 } else { hi = mid }
                }
            }
            var k = lo
            if k > 0 {
                let below = magnitude - values[k - 1], above = values[k] - magnitude
                if below < above || (below == above && codes[k - 1] & 1 == 0) { k -= 1 }
            }
            code = k == values.count - 1 ? 0xFF : codes[k]
        }
        if code == 0xFF {
            if saturate { return sign | codes[codes.count - 2] }
            return infinityCode.map { sign | $0 } ?? nanCode
        }
        if code == 0 && !hasNegativeZero { return 0 }
        return sign | code
    }
}
