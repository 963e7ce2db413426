import Interpreter
import ONNXIR

/// Evaluates nodes whose inputs are all constants with the interpreter and stores their results
/// as initializers.
///
///     c = Add(a, b)   (a, b initializers)                 ->   c, an initializer holding a + b
///     s = Gather(shape, 0); t = Concat(s, [-1])  (consts) ->   t, an initializer
///
/// Each candidate runs alone: a one-node model holding its constant inputs as initializers,
/// through `Session` with the standard kernels. Walking in topological order folds whole
/// constant chains in one sweep. Inputs left unread afterwards are removed.
///
/// Does not fire when: an input is a graph input, a non-constant value or a sparse initializer;
/// the op is non-deterministic (RandomNormal, RandomUniform, Multinomial, Bernoulli and their
/// `Like` forms), a Constant (constants-to-initializers handles those), DequantizeLinear (folding
/// would undo weight quantization of QDQ models), holds subgraphs, or calls a model-local
/// function; no interpreter kernel covers the op at the model's opset; an output is an output of
/// a subgraph (a main-graph output becomes an initializer of the same name, as ONNX allows); the
/// model's IR version is below 4; the results would take more than `max-bytes` and
/// more than the constant inputs they replace (Tile, Expand, ConstantOfShape, Range must not
/// blow up the file); the evaluation fails or exceeds its memory cap.
public struct ConstantFolding: GraphPass {
    public static let name = "constant-folding"
    public static let summary = "Evaluate nodes whose inputs are all constants and store the results as initializers."
    public static let optionSpecs = [
        PassOptionSpec(
            "max-bytes", .int(0...Int.max), default: "1048576",
            "Largest result (bytes) folded when it is larger than the constants it is computed from.")
    ]

    /// Ops that are never folded, with the reason.
    static let excluded: [String: String] = [
        "Constant": "Constant nodes are turned into initializers by constants-to-initializers",
        "DequantizeLinear": "folding would undo the weight quantization of a QDQ model",
        "Dropout": "Dropout is left to identity elimination (it is random in training mode)",
    ]

    let maxBytes: Int
    let registry: KernelRegistry

    public init(options: PassOptions) throws { self.init(maxBytes: options.int("max-bytes"), registry: .standard) }

    /// A folder using `registry` (tests supply stand-in kernels through it).
    init(maxBytes: Int, registry: KernelRegistry) {
        self.maxBytes = maxBytes
        self.registry = registry
    }

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        let model = context.model
        for graph in model.graph.allGraphs {
            for node in graph.nodes where node.graph === graph {
                let inputs = node.inputs.map { $0.flatMap(ConstantValues.tensor) }
                let present = node.inputs.compactMap { $0 }
                guard !present.isEmpty, zip(node.inputs, inputs).allSatisfy({ $0.0 == nil || $0.1 != nil }) else { continue }
                // A node nothing reads is dead code's business.
                guard node.outputs.contains(where: { $0.map { !$0.uses.isEmpty || $0.isGraphOutput } ?? false }) else { continue }
                switch evaluate(node, inputs: inputs, model: model) {
                case .failure(let reason):
                    report.skip(label(node), reason.text)
                case .success(let results):
                    var replacements: [(Value, Value)] = []
                    for (output, tensor) in zip(node.outputs, results) {
                        guard let output, !output.uses.isEmpty || output.isGraphOutput, let tensor else { continue }
                        replacements.append((output, graph.initializerReplacing(output, with: tensor)))
                    }
                    graph.erase(node)
                    for (old, new) in replacements { graph.rename(new, to: old.name) }
                    for v in present { graph.removeIfUnread(v) }
                    report.changed("folded \(label(node)) into \(replacements.count) initializer(s)")
                }
            }
        }
        return report
    }

    struct Refusal: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// Runs `node` on its constant inputs; the results (nil for absent outputs) or why not.
    func evaluate(_ node: Node, inputs: [Tensor?], model: Model) -> Result<[Tensor?], Refusal> {
        let domain = node.normalizedDomain
        if domain.isEmpty, let reason = Self.excluded[node.opType] { return .failure(Refusal(reason)) }
        if nondeterministicOps.contains(node.opType) { return .failure(Refusal("\(node.opType) is non-deterministic")) }
        if !node.subgraphs.isEmpty { return .failure(Refusal("it holds subgraphs")) }
        if model.function(for: node) != nil { return .failure(Refusal("it calls a model-local function")) }
        if model.irVersion < 4 {
            return .failure(Refusal("IR version \(model.irVersion) requires initializers to be graph inputs"))
        }
        if let out = node.outputs.compactMap({ $0 }).first(where: \.isGraphOutput), node.graph?.ownerNode != nil {
            return .failure(Refusal("its output '\(out.name)' is an output of a subgraph"))
        }
        let opset = Int(model.opsetVersion(for: domain) ?? 1)
        guard registry.lookup(domain: domain, op: node.opType, opset: opset) != nil else {
            return .failure(Refusal("no interpreter kernel for \(node.qualifiedOp) at opset \(opset)"))
        }

        var seen = Set<ObjectIdentifier>()
        var inputBytes: Int64 = 0
        for (value, tensor) in zip(node.inputs, inputs) {
            if let value, let tensor, seen.insert(ObjectIdentifier(value)).inserted { inputBytes += tensor.byteCount }
        }
        let allowed = max(Int64(maxBytes), inputBytes)
        // Refuse before evaluating when inferred shapes already tell the results are too large.
        var knownBytes: Int64 = 0
        for case let out? in node.outputs {
            if let type = out.knownType, let element = type.elementType, let count = type.shape?.elementCount,
                let bytes = element.packedByteCount(elements: count)
            {
                knownBytes += bytes
            }
        }
        if knownBytes > allowed { return .failure(sizeRefusal(knownBytes, inputBytes)) }

        let results: [RuntimeTensor]
        do {
            let tiny = Self.singleNodeModel(node, inputs: inputs, model: model)
            // Inputs are borrowed; the cap bounds what the evaluation may allocate on top.
            let cap = Int(allowed >= 1 << 36 ? 1 << 38 : 4 * allowed + (64 << 20))
            let session = try Session(model: tiny, options: Session.Options(threads: 1, memoryCapBytes: cap), registry: registry)
            results = try session.run([:])
        } catch {
            return .failure(Refusal("evaluation failed: \(error)"))
        }
        var tensors: [Tensor?] = []
        var next = results.makeIterator()
        var outputBytes: Int64 = 0
        for out in node.outputs {
            guard out != nil, let r = next.next() else {
                tensors.append(nil)
                continue
            }
            outputBytes += Int64(r.byteCount)
            tensors.append(r.toTensor())
        }
        if outputBytes > allowed { return .failure(sizeRefusal(outputBytes, inputBytes)) }
        return .success(tensors)
    }

    private func sizeRefusal(_ outputBytes: Int64, _ inputBytes: Int64) -> Refusal {
        Refusal("the result takes \(outputBytes) bytes, more than max-bytes (\(maxBytes)) and than its \(inputBytes) bytes of inputs")
    }

    /// A model holding only `node`, its constant inputs as initializers, and its outputs.
    static func singleNodeModel(_ node: Node, inputs: [Tensor?], model: Model) -> Model {
        let graph = Graph(name: "fold")
        var defined: [ObjectIdentifier: Value] = [:]
        var mapped: [Value?] = []
        for (value, tensor) in zip(node.inputs, inputs) {
            guard let value, let tensor else {
                mapped.append(nil)
                continue
            }
            if let v = defined[ObjectIdentifier(value)] {
                mapped.append(v)
            } else {
                let v = graph.addInitializer(tensor, named: value.name)
                defined[ObjectIdentifier(value)] = v
                mapped.append(v)
            }
        }
        let copy = graph.makeNode(
            opType: node.opType, domain: node.domain, name: node.name, attributes: node.attributes, inputs: mapped,
            outputNames: node.outputs.map { $0?.name ?? "" })
        for case let out? in copy.outputs { graph.addOutput(out) }
        return Model(graph: graph, irVersion: model.irVersion, opsetImports: model.opsetImports)
    }
}
