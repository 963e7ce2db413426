import CONNXProto
import ONNXIR

/// Encodes a `Model` into a protobuf-c `ModelProto` tree owned by `arena`.
struct ModelEncoder {
    let arena: EncodeArena
    let placement: ExternalPlacement?
    let annotateInferredTypes: Bool

    func encode(_ model: Model) throws -> UnsafeMutablePointer<Onnx__ModelProto> {
        let p = arena.message(onnx__model_proto__init)
        let extras = model.extras
        p.pointee.has_ir_version = model.irVersion != 0 || extras.isPresentDefault(1) ? 1 : 0
        p.pointee.ir_version = model.irVersion
        (p.pointee.n_opset_import, p.pointee.opset_import) = arena.messages(model.opsetImports, opset)
        p.pointee.producer_name = arena.optionalString(model.producerName, field: 2, extras)
        p.pointee.producer_version = arena.optionalString(model.producerVersion, field: 3, extras)
        p.pointee.domain = arena.optionalString(model.domain, field: 4, extras)
        p.pointee.has_model_version = model.modelVersion != 0 || extras.isPresentDefault(5) ? 1 : 0
        p.pointee.model_version = model.modelVersion
        p.pointee.doc_string = arena.optionalString(model.docString, field: 6, extras)
        let graphs = GraphEncoder(arena: arena, placement: placement, annotateInferredTypes: annotateInferredTypes)
        p.pointee.graph = try graphs.encode(model.graph, isMain: true)
        (p.pointee.n_metadata_props, p.pointee.metadata_props) = arena.messages(model.metadataProps, TensorEncoder(arena: arena).entry)
        (p.pointee.n_functions, p.pointee.functions) = try arena.messages(model.functions) { try function($0, graphs: graphs) }
        // Opaque training_info rides along as an unknown field (see ModelDecoder).
        arena.attachUnknownFields(extras, to: p)
        return p
    }

    private func opset(_ o: OperatorSetID) -> UnsafeMutablePointer<Onnx__OperatorSetIdProto> {
        let p = arena.message(onnx__operator_set_id_proto__init)
        p.pointee.domain = arena.optionalString(o.domain, field: 1, o.extras)
        p.pointee.has_version = o.version != 0 || o.extras.isPresentDefault(2) ? 1 : 0
        p.pointee.version = o.version
        arena.attachUnknownFields(o.extras, to: p)
        return p
    }

    private func function(_ f: Function, graphs: GraphEncoder) throws -> UnsafeMutablePointer<Onnx__FunctionProto> {
        let p = arena.message(onnx__function_proto__init)
        let extras = f.extras
        p.pointee.name = arena.optionalString(f.name, field: 1, extras)
        p.pointee.domain = arena.optionalString(f.domain, field: 10, extras)
        p.pointee.doc_string = arena.optionalString(f.docString, field: 8, extras)
        p.pointee.n_input = f.body.inputs.count
        p.pointee.input = arena.strings(f.body.inputs.map(\.name))
        p.pointee.n_output = f.body.outputs.count
        p.pointee.output = arena.strings(f.body.outputs.map(\.name))
        p.pointee.n_attribute = f.attributeNames.count
        p.pointee.attribute = arena.strings(f.attributeNames)
        (p.pointee.n_node, p.pointee.node) = try arena.messages(f.body.nodes, graphs.encode(node:))
        (p.pointee.n_opset_import, p.pointee.opset_import) = arena.messages(f.opsetImports, opset)
        arena.attachUnknownFields(extras, to: p)
        return p
    }
}
