import Foundation
import ONNXIR

/// Reads and writes NumPy `.npy` files (format versions 1-3, little-endian, C order).
enum NumpyFormat {
    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    private static let descriptors: [(String, DataType)] = [
        ("f4", .float), ("f8", .double), ("f2", .float16), ("i1", .int8), ("i2", .int16), ("i4", .int32),
        ("i8", .int64), ("u1", .uint8), ("u2", .uint16), ("u4", .uint32), ("u8", .uint64), ("b1", .bool),
        ("c8", .complex64), ("c16", .complex128),
    ]

    static func read(_ data: Data, file: String) throws -> Tensor {
        func fail(_ reason: String) -> SerializationError { .invalid(file: file, location: "npy header", reason: reason) }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3, bytes.count >= 12 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else {
            throw fail("unsupported .npy version \(major)")
        }
        guard data.count >= headerStart + headerLength else { throw fail("header is truncated") }
        let header = String(decoding: data[headerStart..<headerStart + headerLength], as: UTF8.self)
        guard let descr = field("descr", in: header) else { throw fail("no 'descr' in header") }
        if header.contains("'fortran_order': True") { throw fail("Fortran-order arrays are not supported; save with np.ascontiguousarray") }
        let endian = descr.first ?? "<"
        if endian == ">" { throw fail("big-endian arrays ('\(descr)') are not supported") }
        let code = descr.trimmingCharacters(in: CharacterSet(charactersIn: "<>|="))
        guard let dataType = descriptors.first(where: { $0.0 == code })?.1 else { throw fail("unsupported dtype '\(descr)'") }
        guard let shapeText = tuple("shape", in: header) else { throw fail("no 'shape' in header") }
        let dims = try shapeText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
            s -> Int64 in
            guard let v = Int64(s), v >= 0 else { throw fail("bad dimension '\(s)'") }
            return v
        }
        guard let count = TensorShape.elementCount(of: dims), let byteCount = dataType.packedByteCount(elements: count) else {
            throw fail("shape \(dims) is too large")
        }
        let payloadStart = headerStart + headerLength
        guard Int64(data.count - payloadStart) == byteCount else {
            throw SerializationError.invalid(
                file: file, location: "npy data",
                reason: "holds \(data.count - payloadStart) bytes, shape \(dims) of \(dataType.name) needs \(byteCount)")
        }
        let buffer = data[payloadStart...].withUnsafeBytes { TensorBuffer(copying: $0) }
        return Tensor(dataType: dataType, dims: dims, storage: .bytes(buffer))
    }

    static func write(_ tensor: Tensor) throws -> Data {
        guard let code = descriptors.first(where: { $0.1 == tensor.dataType })?.0 else {
            throw SerializationError.unsupported(
                file: tensor.name, location: "npy", reason: "\(tensor.dataType.name) cannot be written as .npy")
        }
        let prefix = code.hasSuffix("1") && code != "c16" ? "|" : "<"
        let shape = tensor.dims.count == 1 ? "(\(tensor.dims[0]),)" : "(" + tensor.dims.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(prefix)\(code)', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        let buffer = try tensor.buffer()
        data.append(contentsOf: buffer.bytes)
        return data
    }

    private static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...].drop { $0 == " " }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    private static func tuple(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...]
        guard let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")") else { return nil }
        return String(rest[rest.index(after: open)..<close])
    }
}
