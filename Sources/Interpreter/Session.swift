import Foundation
import ONNXIR

/// Runs a model with the reference interpreter.
///
///     let session = try Session(model: model)
///     let outputs = try session.run(["input": tensor])
///
/// The plan is compiled once (an unsupported op fails here, naming op, domain, opset and node);
/// each run checks the caller's inputs against the graph before allocating anything.
public final class Session {
    public struct Options: Sendable {
        /// Threads for kernels (and OpenBLAS).
        public var threads: Int
        /// Bytes the tensors of one run may hold at once; an allocation past it fails cleanly.
        public var memoryCapBytes: Int

        public init(threads: Int = 1, memoryCapBytes: Int? = nil) {
            self.threads = max(1, threads)
            self.memoryCapBytes = memoryCapBytes ?? Int(ProcessInfo.processInfo.physicalMemory)
        }
    }

    public let model: Model
    public let options: Options
    /// The plan for plain runs: Convs absorb the activations after them.
    let plan: ExecutionPlan
    /// The plan for observed runs, where every node's output must exist: compiled on first use.
    private var unfusedPlan: ExecutionPlan?
    /// The plan for runs that observe a known set of values: fused everywhere else.
    private var watchedPlan: (values: Set<ObjectIdentifier>, plan: ExecutionPlan)?
    private let registry: KernelRegistry
    /// Peak bytes held by tensors during the last run.
    public private(set) var lastPeakBytes = 0
    /// Buffers freed by one run, reused by the next.
    let pool: StoragePool
    /// Threads beside the caller's for parallel kernels, started once per session.
    let workers: WorkerPool?

    public init(model: Model, options: Options = Options(), registry: KernelRegistry = .standard) throws {
        self.model = model
        self.options = options
        self.plan = try Self.compile(model, registry, fusing: true)
        self.registry = registry
        // A quarter of the cap may idle between runs: a run's peak working set for any model
        // that fits the cap comfortably.
        self.pool = StoragePool(limitBytes: options.memoryCapBytes / 4)
        self.workers = WorkerPool(threads: options.threads)
        // Kernels split GEMMs over the threads themselves (ExecutionContext.sgemm).
        BLAS.setThreads(1)
    }

    /// Nodes that run inside `node`'s kernel in plain runs (an activation fused into a Conv), so
    /// a profile can attribute their time.
    public func fusedNodes(after node: Node) -> [Node] { plan.absorbedNodes(of: node) }

    /// Graph inputs the caller must feed (initializer-backed inputs are optional).
    public var requiredInputs: [Value] { model.graph.inputs.filter { !$0.isInitializer } }
    public var outputNames: [String] { model.graph.outputs.map(\.name) }

    /// Runs the model. `observe` sees every node output of the main graph as it is produced
    /// (calibration, layer-wise comparison); tensors it keeps stay alive.
    /// `profile` sees each main-graph node with the nanoseconds its kernel took.
    /// `observing`, when given, names the only values `observe` needs (by ObjectIdentifier of
    /// the Value): activations stay fused into their Convs wherever that hides none of them, as
    /// in plain runs, so calibration runs nearly as fast. Other values may then not be reported.
    public func run(
        _ feeds: [String: RuntimeTensor], observing: Set<ObjectIdentifier>? = nil, observe: ((Value, RuntimeTensor) -> Void)? = nil,
        profile: ((Node, UInt64) -> Void)? = nil
    ) throws -> [RuntimeTensor] {
        let inputs = try InputValidation.bind(feeds, to: model.graph)
        let accountant = MemoryAccountant(capBytes: options.memoryCapBytes)
        let context = ExecutionContext(threads: options.threads, accountant: accountant, pool: pool, workers: workers)
        let chosen = try observe == nil ? plan : observing.map(plan(keeping:)) ?? observedPlan()
        var executor = Executor(plan: chosen, context: context)
        executor.observer = observe
        executor.profiler = profile
        let outputs = try executor.run(inputs: inputs, parent: nil)
        lastPeakBytes = accountant.peak
        return outputs
    }

    private func plan(keeping values: Set<ObjectIdentifier>) throws -> ExecutionPlan {
        if let watchedPlan, watchedPlan.values == values { return watchedPlan.plan }
        let compiled = try Self.compile(model, registry, fusing: true, keeping: values)
        watchedPlan = (values, compiled)
        return compiled
    }

    private func observedPlan() throws -> ExecutionPlan {
        if let unfusedPlan { return unfusedPlan }
        let compiled = try Self.compile(model, registry, fusing: false)
        unfusedPlan = compiled
        return compiled
    }

    private static func compile(
        _ model: Model, _ registry: KernelRegistry, fusing: Bool, keeping values: Set<ObjectIdentifier> = []
    ) throws -> ExecutionPlan {
        var compiler = PlanCompiler(model: model, registry: registry)
        compiler.fuseActivations = fusing
        compiler.keepValues = values
        return try compiler.compile(model.graph)
    }
}
