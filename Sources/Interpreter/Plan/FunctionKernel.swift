import ONNXIR

/// Runs a call to a model-local function: the body is instantiated for this call site (attribute
/// references `ref_attr_name` replaced by the caller's attributes), compiled once, then executed
/// like a subgraph whose inputs are the call's inputs.
final class FunctionKernel: Kernel {
    private let plan: ExecutionPlan

    init(function: Function, node: Node, compiler: PlanCompiler) throws {
        let body = Graph(name: "\(function.name)@\(node.name)")
        var mapping: [ObjectIdentifier: Value] = [:]
        for input in function.body.inputs {
            mapping[ObjectIdentifier(input)] = body.addInput(named: input.name, type: nil)
        }
        for inner in function.body.nodes {
            var attributes: [Attribute] = []
            for a in inner.attributes {
                if a.referencedAttributeName.isEmpty {
                    attributes.append(a)
                } else if var given = node.attribute(a.referencedAttributeName)
                    ?? function.attributeDefaults.first(where: { $0.name == a.referencedAttributeName })
                {
                    given.name = a.name
                    attributes.append(given)
                }
            }
            let inputs = inner.inputs.map { $0.flatMap { mapping[ObjectIdentifier($0)] } }
            let copy = body.makeNode(
                opType: inner.opType, domain: inner.domain, name: inner.name, attributes: attributes, inputs: inputs,
                outputNames: inner.outputs.map { $0?.name ?? "" })
            for (original, new) in zip(inner.outputs, copy.outputs) {
                if let original, let new { mapping[ObjectIdentifier(original)] = new }
            }
        }
        for output in function.body.outputs {
            guard let v = mapping[ObjectIdentifier(output)] else {
                throw InterpreterError.invalidNode(
                    node: node.name, op: node.opType, reason: "function output '\(output.name)' is not defined")
            }
            body.addOutput(v)
        }
        var bodyCompiler = compiler
        bodyCompiler.opsetOverrides = function.opsetImports
        plan = try bodyCompiler.compile(body)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        try Executor(plan: plan, context: context).run(inputs: inputs, parent: nil)
    }
}
