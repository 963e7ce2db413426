import CONNXProto
import ONNXIR

/// Encodes graphs, nodes and attributes. Main-graph initializers go through the external-data
/// placement; tensors in attributes and subgraphs stay inline.
struct GraphEncoder {
    let arena: EncodeArena
    let placement: ExternalPlacement?
    /// Write inferred types of every value into `value_info` (off: only what the file had).
    let annotateInferredTypes: Bool

    var tensors: TensorEncoder { TensorEncoder(arena: arena) }
    var types: TypeEncoder { TypeEncoder(arena: arena) }

    func encode(_ graph: Graph, isMain: Bool) throws -> UnsafeMutablePointer<Onnx__GraphProto> {
        let p = arena.message(onnx__graph_proto__init)
        let extras = graph.extras
        p.pointee.name = arena.optionalString(graph.name, field: 2, extras)
        p.pointee.doc_string = arena.optionalString(graph.docString, field: 10, extras)
        (p.pointee.n_node, p.pointee.node) = try arena.messages(graph.nodes, encode(node:))
        let place = isMain ? placement : nil
        (p.pointee.n_initializer, p.pointee.initializer) = try arena.messages(graph.initializers) { value in
            try tensors.encode(value.initializer!, placement: place)
        }
        (p.pointee.n_sparse_initializer, p.pointee.sparse_initializer) = try arena.messages(graph.sparseInitializers) { value in
            try tensors.encode(sparse: value.sparseInitializer!)
        }
        (p.pointee.n_input, p.pointee.input) = arena.messages(graph.inputs) {
            types.valueInfo($0, type: $0.type ?? ($0.isInitializer ? nil : $0.inferredType))
        }
        (p.pointee.n_output, p.pointee.output) = arena.messages(graph.outputs) { types.valueInfo($0, type: $0.type ?? $0.inferredType) }
        var annotated = graph.valueInfo
        if annotateInferredTypes {
            let listed = Set((annotated + graph.inputs + graph.outputs).map(ObjectIdentifier.init))
            for node in graph.nodes {
                for case let out? in node.outputs where !listed.contains(ObjectIdentifier(out)) && out.inferredType != nil {
                    annotated.append(out)
                }
            }
        }
        (p.pointee.n_value_info, p.pointee.value_info) = arena.messages(annotated) { types.valueInfo($0, type: $0.type ?? $0.inferredType) }
        (p.pointee.n_quantization_annotation, p.pointee.quantization_annotation) = arena.messages(graph.quantizationAnnotations) { a in
            let ap = arena.message(onnx__tensor_annotation__init)
            ap.pointee.tensor_name = arena.optionalString(a.tensorName, field: 1, a.extras)
            (ap.pointee.n_quant_parameter_tensor_names, ap.pointee.quant_parameter_tensor_names) = arena.messages(
                a.parameters, tensors.entry)
            arena.attachUnknownFields(a.extras, to: ap)
            return ap
        }
        arena.attachUnknownFields(extras, to: p)
        return p
    }

    func encode(node: Node) throws -> UnsafeMutablePointer<Onnx__NodeProto> {
        let p = arena.message(onnx__node_proto__init)
        let extras = node.extras
        p.pointee.n_input = node.inputs.count
        p.pointee.input = arena.strings(node.inputs.map { $0?.name ?? "" })
        p.pointee.n_output = node.outputs.count
        p.pointee.output = arena.strings(node.outputs.map { $0?.name ?? "" })
        p.pointee.name = arena.optionalString(node.name, field: 3, extras)
        p.pointee.op_type = arena.optionalString(node.opType, field: 4, extras)
        p.pointee.domain = arena.optionalString(node.domain, field: 7, extras)
        p.pointee.doc_string = arena.optionalString(node.docString, field: 6, extras)
        (p.pointee.n_attribute, p.pointee.attribute) = try arena.messages(node.attributes, encode(attribute:))
        arena.attachUnknownFields(extras, to: p)
        return p
    }

    func encode(attribute a: Attribute) throws -> UnsafeMutablePointer<Onnx__AttributeProto> {
        let p = arena.message(onnx__attribute_proto__init)
        let extras = a.extras
        p.pointee.name = arena.optionalString(a.name, field: 1, extras)
        p.pointee.doc_string = arena.optionalString(a.docString, field: 13, extras)
        p.pointee.ref_attr_name = arena.optionalString(a.referencedAttributeName, field: 21, extras)
        let code = a.value.typeCode
        if !extras.absentFields.contains(20) && (code != 0 || extras.isPresentDefault(20)) {
            p.pointee.has_type = 1
            p.pointee.type = Onnx__AttributeProto__AttributeType(rawValue: UInt32(code))
        }
        let inline = GraphEncoder(arena: arena, placement: nil, annotateInferredTypes: annotateInferredTypes)
        switch a.value {
        case .float(let f):
            p.pointee.f = f
            p.pointee.has_f = f != 0 || f.sign == .minus || extras.isPresentDefault(2) ? 1 : 0
        case .int(let i):
            p.pointee.i = i
            p.pointee.has_i = i != 0 || extras.isPresentDefault(3) ? 1 : 0
        case .string(let s):
            p.pointee.s = arena.binary(s)
            p.pointee.has_s = !s.isEmpty || extras.isPresentDefault(4) ? 1 : 0
        case .tensor(let t): p.pointee.t = try tensors.encode(t, placement: nil)
        case .graph(let g): p.pointee.g = try inline.encode(g, isMain: false)
        case .sparseTensor(let s): p.pointee.sparse_tensor = try tensors.encode(sparse: s)
        case .type(let t): p.pointee.tp = types.encode(t)
        case .floats(let v):
            p.pointee.n_floats = v.count
            p.pointee.floats = arena.array(v)
        case .ints(let v):
            p.pointee.n_ints = v.count
            p.pointee.ints = arena.array(v)
        case .strings(let v):
            p.pointee.n_strings = v.count
            p.pointee.strings = arena.array(v.map(arena.binary))
        case .tensors(let v): (p.pointee.n_tensors, p.pointee.tensors) = try arena.messages(v) { try tensors.encode($0, placement: nil) }
        case .graphs(let v): (p.pointee.n_graphs, p.pointee.graphs) = try arena.messages(v) { try inline.encode($0, isMain: false) }
        case .sparseTensors(let v): (p.pointee.n_sparse_tensors, p.pointee.sparse_tensors) = try arena.messages(v, tensors.encode(sparse:))
        case .types(let v): (p.pointee.n_type_protos, p.pointee.type_protos) = arena.messages(v, types.encode)
        case .undefined: break
        }
        arena.attachUnknownFields(extras, to: p)
        return p
    }
}
