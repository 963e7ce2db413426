import CONNXProto
import Foundation
import ONNXIR

/// Keeps a protobuf-c message tree alive while tensors borrow its `raw_data`.
final class UnpackedModel {
    let proto: UnsafeMutablePointer<Onnx__ModelProto>
    init(_ proto: UnsafeMutablePointer<Onnx__ModelProto>) { self.proto = proto }
    deinit { onnx__model_proto__free_unpacked(proto, nil) }
}

/// Decodes a `ModelProto` into a `Model`.
struct ModelDecoder {
    let modelFolder: URL?
    let externalFiles = ExternalFileCache()

    func decode(_ unpacked: UnpackedModel) throws -> Model {
        let proto = unpacked.proto
        let m = proto.pointee
        var extras = ProtoReading.extras(proto)
        let tensors = TensorDecoder(modelFolder: modelFolder, owner: unpacked, externalFiles: externalFiles)
        let graphDecoder = GraphDecoder(tensors: tensors)

        guard let graphProto = m.graph else {
            throw DecodeFailure(location: "model", reason: "has no graph (ModelProto.graph is missing)")
        }
        let graph = Graph(name: "")
        try graphDecoder.decode(graphProto, into: graph, scope: DecodeScope(parent: nil))

        let irVersion = ProtoReading.scalar(m.ir_version, has: m.has_ir_version, field: 1, &extras)
        let producerName = ProtoReading.string(m.producer_name, field: 2, &extras)
        let producerVersion = ProtoReading.string(m.producer_version, field: 3, &extras)
        let domain = ProtoReading.string(m.domain, field: 4, &extras)
        let modelVersion = ProtoReading.scalar(m.model_version, has: m.has_model_version, field: 5, &extras)
        let docString = ProtoReading.string(m.doc_string, field: 6, &extras)
        let functions = try ProtoReading.array(m.functions, count: m.n_functions).compactMap { $0 }.map {
            try decodeFunction($0, graphDecoder: graphDecoder)
        }
        // TrainingInfoProto is carried as opaque bytes: Whittle never edits it.
        for case let info? in ProtoReading.array(m.training_info, count: m.n_training_info) {
            extras.unknownFields.append(UnknownField(fieldNumber: 20, wireType: 2, payload: Self.pack(info)))
        }
        let model = Model(
            graph: graph, irVersion: irVersion, opsetImports: Self.opsets(m.opset_import, count: m.n_opset_import),
            producerName: producerName, producerVersion: producerVersion, domain: domain,
            modelVersion: modelVersion, docString: docString,
            metadataProps: ProtoReading.entries(m.metadata_props, count: m.n_metadata_props),
            functions: functions, extras: extras)
        return model
    }

    private func decodeFunction(_ proto: UnsafeMutablePointer<Onnx__FunctionProto>, graphDecoder: GraphDecoder) throws -> Function {
        let f = proto.pointee
        var extras = ProtoReading.extras(proto)
        let name = ProtoReading.string(f.name, field: 1, &extras)
        let domain = ProtoReading.string(f.domain, field: 10, &extras)
        let doc = ProtoReading.string(f.doc_string, field: 8, &extras)
        // The body is decoded as a graph whose inputs are the formal parameters.
        var body = Onnx__GraphProto()
        onnx__graph_proto__init(&body)
        let inputNames = ProtoReading.strings(f.input, count: f.n_input)
        let outputNames = ProtoReading.strings(f.output, count: f.n_output)
        let graph = Graph(name: name)
        let scope = DecodeScope(parent: nil)
        for input in inputNames { scope.define(graph.addInput(named: input, type: nil)) }
        body.n_node = f.n_node
        body.node = f.node
        do {
            try withUnsafePointer(to: &body) { try graphDecoder.decode($0, into: graph, scope: scope) }
        } catch var failure as DecodeFailure {
            failure.location = "function '\(name)': \(failure.location)"
            throw failure
        }
        graph.name = name
        graph.extras = ProtoExtras()
        for output in outputNames {
            guard let value = scope.lookup(output) else {
                throw DecodeFailure(location: "function '\(name)'", reason: "output '\(output)' is not defined")
            }
            graph.addOutput(value)
        }
        let function = Function(
            name: name, domain: domain, body: graph,
            attributeNames: ProtoReading.strings(f.attribute, count: f.n_attribute),
            opsetImports: Self.opsets(f.opset_import, count: f.n_opset_import), docString: doc, extras: extras)
        function.attributeDefaults = try Self.attributeDefaults(extras, function: name, tensors: graphDecoder.tensors)
        return function
    }

    /// `FunctionProto.attribute_proto` (field 11) is newer than the system proto: its entries
    /// arrive as unknown fields and are decoded here for the interpreter.
    static func attributeDefaults(_ extras: ProtoExtras, function: String, tensors: TensorDecoder) throws -> [Attribute] {
        try extras.unknownFields.filter { $0.fieldNumber == 11 && $0.wireType == 2 }.compactMap { field in
            try field.payload.withUnsafeBufferPointer { bytes -> Attribute? in
                // protobuf-c keeps a length-delimited unknown field with its length prefix.
                var start = 0
                while start < bytes.count && bytes[start] & 0x80 != 0 { start += 1 }
                start += 1
                guard start < bytes.count, let base = bytes.baseAddress,
                    let proto = onnx__attribute_proto__unpack(nil, bytes.count - start, base + start)
                else { return nil }
                defer { onnx__attribute_proto__free_unpacked(proto, nil) }
                let decoder = AttributeDecoder(tensors: tensors) { _, _ in
                    throw DecodeFailure(location: "function '\(function)'", reason: "graph-valued attribute defaults are not supported")
                }
                var attribute = try decoder.decode(proto, node: function)
                // Tensor defaults borrowed from the temporary message must own their bytes.
                if case .tensor(var t) = attribute.value, case .bytes(let b) = t.storage {
                    t.storage = .bytes(TensorBuffer(copying: b.bytes))
                    attribute.value = .tensor(t)
                }
                return attribute
            }
        }
    }

    static func opsets(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<Onnx__OperatorSetIdProto>?>?, count: Int) -> [OperatorSetID] {
        ProtoReading.array(pointer, count: count).compactMap { p in
            guard let p else { return nil }
            var extras = ProtoReading.extras(p)
            let domain = ProtoReading.string(p.pointee.domain, field: 1, &extras)
            let version = ProtoReading.scalar(p.pointee.version, has: p.pointee.has_version, field: 2, &extras)
            return OperatorSetID(domain: domain, version: version, extras: extras)
        }
    }

    /// Serializes a sub-message to bytes (for fields carried opaquely).
    static func pack<T>(_ message: UnsafeMutablePointer<T>) -> [UInt8] {
        let base = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(base)
        var bytes = [UInt8](repeating: 0, count: size)
        _ = bytes.withUnsafeMutableBufferPointer { protobuf_c_message_pack(base, $0.baseAddress) }
        return bytes
    }
}
