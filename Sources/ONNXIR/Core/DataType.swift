/// An ONNX element type (`TensorProto.DataType`). A struct over the raw value rather than an enum,
/// so values written by newer ONNX versions survive a round trip even when Whittle cannot compute
/// with them; `isKnown` tells the two apart.
public struct DataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let undefined = DataType(rawValue: 0)
    public static let float = DataType(rawValue: 1)
    public static let uint8 = DataType(rawValue: 2)
    public static let int8 = DataType(rawValue: 3)
    public static let uint16 = DataType(rawValue: 4)
    public static let int16 = DataType(rawValue: 5)
    public static let int32 = DataType(rawValue: 6)
    public static let int64 = DataType(rawValue: 7)
    public static let string = DataType(rawValue: 8)
    public static let bool = DataType(rawValue: 9)
    public static let float16 = DataType(rawValue: 10)
    public static let double = DataType(rawValue: 11)
    public static let uint32 = DataType(rawValue: 12)
    public static let uint64 = DataType(rawValue: 13)
    public static let complex64 = DataType(rawValue: 14)
    public static let complex128 = DataType(rawValue: 15)
    public static let bfloat16 = DataType(rawValue: 16)
    public static let float8e4m3fn = DataType(rawValue: 17)
    public static let float8e4m3fnuz = DataType(rawValue: 18)
    public static let float8e5m2 = DataType(rawValue: 19)
    public static let float8e5m2fnuz = DataType(rawValue: 20)
    public static let uint4 = DataType(rawValue: 21)
    public static let int4 = DataType(rawValue: 22)
    public static let float4e2m1 = DataType(rawValue: 23)
    public static let float8e8m0 = DataType(rawValue: 24)
    public static let uint2 = DataType(rawValue: 25)
    public static let int2 = DataType(rawValue: 26)
    public static let float6e2m3 = DataType(rawValue: 27)
    public static let float6e3m2 = DataType(rawValue: 28)

    private static let names: [Int32: String] = [
        0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
        7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
        14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
        19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1",
        24: "float8e8m0", 25: "uint2", 26: "int2", 27: "float6e2m3", 28: "float6e3m2",
    ]

    /// Bits one element occupies in `raw_data` (strings have none: they are not packed).
    private static let bitWidths: [Int32: Int] = [
        1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
        14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8, 25: 2,
        26: 2, 27: 6, 28: 6,
    ]

    /// Lower-case name as NumPy and the CLI spell it (`float32`, `int8`, `bfloat16`).
    public var name: String { Self.names[rawValue] ?? "unknown(\(rawValue))" }
    public var description: String { name }

    /// Parses a CLI spelling (`float32`, `float`, `int8`, ...).
    public init?(name: String) {
        let lowered = name.lowercased()
        if lowered == "float" { self = .float; return }
        if lowered == "double" { self = .double; return }
        guard let match = Self.names.first(where: { $0.value == lowered && $0.key != 0 }) else {
            return nil
        }
        self.init(rawValue: match.key)
    }

    /// True for every type defined by the ONNX versions Whittle knows (including `string`).
    public var isKnown: Bool { rawValue != 0 && Self.names[rawValue] != nil }
    /// Bits per element in packed (`raw_data`) form; nil for string and unknown types.
    public var bitWidth: Int? { Self.bitWidths[rawValue] }
    public var isFloatingPoint: Bool {
        [1, 10, 11, 16, 17, 18, 19, 20, 23, 24, 27, 28].contains(rawValue)
    }
    public var isInteger: Bool { [2, 3, 4, 5, 6, 7, 12, 13, 21, 22, 25, 26].contains(rawValue) }
    public var isSigned: Bool { [3, 5, 6, 7, 22, 26].contains(rawValue) || isFloatingPoint }
    public var isComplex: Bool { rawValue == 14 || rawValue == 15 }
    /// Types packed several to a byte (int4/uint4/float4/int2/uint2).
    public var isSubByte: Bool { (bitWidth ?? 8) < 8 }

    /// Bytes needed to hold `count` elements packed as in `raw_data`; nil for strings, unknown types,
    /// or a size that overflows.
    public func packedByteCount(elements count: Int64) -> Int64? {
        guard let bits = bitWidth, count >= 0 else { return nil }
        let (totalBits, overflow) = count.multipliedReportingOverflow(by: Int64(bits))
        if overflow { return nil }
        return (totalBits + 7) / 8
    }
}
