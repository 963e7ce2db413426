import CONNXProto
import Foundation
import ONNXIR

/// Decodes `TensorProto` into `Tensor`, checking dims, type and data size before anything is
/// allocated. Raw data is borrowed from the decoded message (no copy); typed fields are converted
/// to canonical little-endian bytes; external data is resolved and bounds-checked but not read.
struct TensorDecoder {
    let modelFolder: URL?
    let owner: AnyObject
    let externalFiles: ExternalFileCache

    func decode(_ proto: UnsafePointer<Onnx__TensorProto>, what: String) throws -> Tensor {
        let p = proto.pointee
        var extras = ProtoReading.extras(proto)
        let name = ProtoReading.string(p.name, field: 8, &extras)
        let docString = ProtoReading.string(p.doc_string, field: 12, &extras)
        let label = name.isEmpty ? what : "\(what) '\(name)'"
        func fail(_ reason: String) -> DecodeFailure { DecodeFailure(location: label, reason: reason) }

        if p.segment != nil {
            throw DecodeFailure(location: label, reason: "segmented tensors (the 'segment' field) are not supported", isUnsupported: true)
        }
        let dataType = DataType(rawValue: ProtoReading.scalar(p.data_type, has: p.has_data_type, field: 2, &extras))
        let dims = ProtoReading.array(p.dims, count: p.n_dims)
        if let negative = dims.first(where: { $0 < 0 }) { throw fail("has negative dim \(negative) in \(TensorShape(dims))") }
        guard let count = TensorShape.elementCount(of: dims) else {
            throw fail("dims \(TensorShape(dims)) overflow a 64-bit element count")
        }
        guard dataType.isKnown else { throw fail("has unknown data type \(dataType.rawValue)") }
        let location = Int32(bitPattern: p.data_location.rawValue)
        if p.has_data_location != 0 && location == 0 { extras.notePresentDefault(14) }
        let entries = ProtoReading.entries(p.external_data, count: p.n_external_data)

        if dataType == .string {
            guard Int64(p.n_string_data) == count else {
                throw fail("holds \(p.n_string_data) strings, dims \(TensorShape(dims)) need \(count)")
            }
            let strings = ProtoReading.array(p.string_data, count: p.n_string_data).map(ProtoReading.bytes)
            return Tensor(
                name: name, dataType: dataType, dims: dims, storage: .strings(strings), encoding: .typedFields, docString: docString,
                extras: extras)
        }
        guard let byteCount = dataType.packedByteCount(elements: count) else {
            throw fail("dims \(TensorShape(dims)) of \(dataType.name) overflow a 64-bit byte count")
        }
        if location == 1 {
            let storage = try external(entries: entries, byteCount: byteCount, label: label)
            return Tensor(
                name: name, dataType: dataType, dims: dims, storage: storage, encoding: .external, docString: docString,
                externalDataEntries: entries, extras: extras)
        }
        if p.has_raw_data != 0 {
            guard Int64(p.raw_data.len) == byteCount else {
                throw fail("raw_data holds \(p.raw_data.len) bytes but \(dataType.name)\(TensorShape(dims)) needs \(byteCount)")
            }
            let bytes = UnsafeRawBufferPointer(start: p.raw_data.data, count: p.raw_data.len)
            return Tensor(
                name: name, dataType: dataType, dims: dims, storage: .bytes(TensorBuffer(borrowing: bytes, owner: owner)), encoding: .raw,
                docString: docString, externalDataEntries: entries, extras: extras)
        }
        let buffer = try TypedFieldCodec.decode(p, dataType: dataType, count: Int(count), byteCount: Int(byteCount), label: label)
        return Tensor(
            name: name, dataType: dataType, dims: dims, storage: .bytes(buffer), encoding: .typedFields, docString: docString,
            externalDataEntries: entries, extras: extras)
    }

    private func external(entries: [StringEntry], byteCount: Int64, label: String) throws -> TensorStorage {
        func fail(_ reason: String) -> DecodeFailure { DecodeFailure(location: label, reason: reason) }
        var location: String?
        var offset: Int64 = 0
        var length: Int64?
        for entry in entries {
            switch entry.key {
            case "location": location = entry.value
            case "offset":
                guard let v = Int64(entry.value), v >= 0 else {
                    throw fail("external data offset '\(entry.value)' is not a non-negative integer")
                }
                offset = v
            case "length":
                guard let v = Int64(entry.value), v >= 0 else {
                    throw fail("external data length '\(entry.value)' is not a non-negative integer")
                }
                length = v
            default: break
            }
        }
        guard let location else { throw fail("is stored externally but has no 'location'") }
        guard let modelFolder else { throw fail("is stored externally but the model was not read from a file") }
        let tensorName = label
        let url: URL
        do { url = try ExternalDataLocation.resolve(location, modelFolder: modelFolder, tensor: tensorName) } catch let failure
            as DecodeFailure
        {
            throw DecodeFailure(location: label, reason: failure.reason)
        }
        let file = try externalFiles.open(url)
        let actualLength = length ?? byteCount
        guard actualLength == byteCount else {
            throw fail("external data length \(actualLength) does not match the \(byteCount) bytes its type and dims need")
        }
        let (end, overflow) = offset.addingReportingOverflow(actualLength)
        guard !overflow, end <= file.size else {
            throw fail("external data [\(offset), \(offset &+ actualLength)) lies beyond the end of '\(location)' (\(file.size) bytes)")
        }
        return .external(MappedExternalData(file: file, fileURL: url, offset: offset, length: actualLength))
    }
}
