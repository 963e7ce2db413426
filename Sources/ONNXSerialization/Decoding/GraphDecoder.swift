import CONNXProto
import ONNXIR

/// Names visible while decoding a graph: its own values, then those of enclosing graphs.
final class DecodeScope {
    private var values: [String: Value] = [:]
    let parent: DecodeScope?
    init(parent: DecodeScope?) { self.parent = parent }

    func lookup(_ name: String) -> Value? { values[name] ?? parent?.lookup(name) }
    func definesLocally(_ name: String) -> Bool { values[name] != nil }
    func define(_ value: Value) { values[value.name] = value }
}

/// Decodes `GraphProto` (main graph, subgraphs, function bodies) into `Graph`, resolving names
/// to value handles through nested scopes.
struct GraphDecoder {
    let tensors: TensorDecoder

    func decode(_ proto: UnsafePointer<Onnx__GraphProto>, into graph: Graph, scope: DecodeScope) throws {
        let g = proto.pointee
        graph.extras = ProtoReading.extras(proto)
        graph.name = ProtoReading.string(g.name, field: 2, &graph.extras)
        graph.docString = ProtoReading.string(g.doc_string, field: 10, &graph.extras)
        let label = graph.isSubgraph || scope.parent != nil ? "subgraph '\(graph.name)'" : "graph '\(graph.name)'"

        for case let vi? in ProtoReading.array(g.input, count: g.n_input) {
            let info = TypeDecoder.valueInfo(vi)
            if scope.definesLocally(info.name) {
                throw DecodeFailure(location: label, reason: "input '\(info.name)' is listed twice")
            }
            let value = graph.addInput(named: info.name, type: info.type)
            value.docString = info.doc
            value.valueInfoExtras = info.extras
            scope.define(value)
        }
        for case let t? in ProtoReading.array(g.initializer, count: g.n_initializer) {
            let tensor = try tensors.decode(t, what: "initializer")
            if let input = scope.lookup(tensor.name), input.graph === graph, input.isGraphInput, !input.isInitializer {
                graph.attachInitializer(tensor, to: input)
            } else if scope.definesLocally(tensor.name) {
                throw DecodeFailure(location: "initializer '\(tensor.name)'", reason: "is defined more than once")
            } else {
                scope.define(graph.addInitializer(tensor, named: tensor.name))
            }
        }
        for case let s? in ProtoReading.array(g.sparse_initializer, count: g.n_sparse_initializer) {
            let sparse = try SparseTensorDecoder(tensors: tensors).decode(s, what: "sparse initializer")
            scope.define(graph.addSparseInitializer(sparse, named: sparse.values.name))
        }

        let nodes = ProtoReading.array(g.node, count: g.n_node).compactMap { $0 }
        let ordered: [NodeOrdering.NodePointer]
        do {
            ordered = try NodeOrdering.order(nodes) { scope.lookup($0) != nil }
        } catch var failure as DecodeFailure {
            if failure.location == "graph" { failure.location = label }
            throw failure
        }
        for node in ordered { try decodeNode(node, into: graph, scope: scope) }

        for case let vi? in ProtoReading.array(g.output, count: g.n_output) {
            let info = TypeDecoder.valueInfo(vi)
            guard let value = scope.lookup(info.name) else {
                throw DecodeFailure(location: label, reason: "output '\(info.name)' is not defined by any node, input or initializer")
            }
            if value.type == nil || value.graph === graph && !value.isGraphInput { value.type = info.type }
            value.docString = info.doc
            value.valueInfoExtras = info.extras
            graph.addOutput(value)
        }
        for case let vi? in ProtoReading.array(g.value_info, count: g.n_value_info) {
            let info = TypeDecoder.valueInfo(vi)
            let value = scope.lookup(info.name) ?? graph.detachedValue(named: info.name, type: info.type)
            if value.type == nil || !(value.isGraphInput || value.isGraphOutput) { value.type = info.type }
            value.docString = info.doc
            value.valueInfoExtras = info.extras
            graph.valueInfo.append(value)
        }
        for case let a? in ProtoReading.array(g.quantization_annotation, count: g.n_quantization_annotation) {
            var extras = ProtoReading.extras(a)
            let name = ProtoReading.string(a.pointee.tensor_name, field: 1, &extras)
            let parameters = ProtoReading.entries(a.pointee.quant_parameter_tensor_names, count: a.pointee.n_quant_parameter_tensor_names)
            graph.quantizationAnnotations.append(TensorAnnotation(tensorName: name, parameters: parameters, extras: extras))
        }
    }

    private func decodeNode(_ proto: NodeOrdering.NodePointer, into graph: Graph, scope: DecodeScope) throws {
        let p = proto.pointee
        var extras = ProtoReading.extras(proto)
        let name = ProtoReading.string(p.name, field: 3, &extras)
        let opType = ProtoReading.string(p.op_type, field: 4, &extras)
        let domain = ProtoReading.string(p.domain, field: 7, &extras)
        let doc = ProtoReading.string(p.doc_string, field: 6, &extras)
        let label = "node '\(name)' (\(opType))"
        if opType.isEmpty { throw DecodeFailure(location: label, reason: "has no op_type") }

        let attributeDecoder = AttributeDecoder(tensors: tensors) { subgraphProto, attributeName in
            let sub = Graph(name: "", enclosedBy: graph)
            do {
                try self.decode(subgraphProto, into: sub, scope: DecodeScope(parent: scope))
            } catch var failure as DecodeFailure {
                failure.location = "\(label) attribute '\(attributeName)': \(failure.location)"
                throw failure
            }
            return sub
        }
        let attributes = try ProtoReading.array(p.attribute, count: p.n_attribute).compactMap { $0 }.map {
            try attributeDecoder.decode($0, node: name)
        }
        let inputs = try ProtoReading.strings(p.input, count: p.n_input).map { inputName -> Value? in
            guard !inputName.isEmpty else { return nil }
            guard let value = scope.lookup(inputName) else {
                throw DecodeFailure(location: label, reason: "reads '\(inputName)', which nothing defines")
            }
            return value
        }
        let node = graph.makeNode(
            opType: opType, domain: domain, name: name, attributes: attributes, inputs: inputs,
            outputNames: ProtoReading.strings(p.output, count: p.n_output))
        node.docString = doc
        node.extras = extras
        for case let output? in node.outputs { scope.define(output) }
    }
}
