import Dispatch
import Foundation
import ONNXIR

/// Tracks bytes held by tensors a run allocated, so an allocation over the cap fails before it
/// happens rather than exhausting the machine.
final class MemoryAccountant: @unchecked Sendable {
    let capBytes: Int
    private var live = 0
    private(set) var peak = 0
    private let lock = NSLock()

    init(capBytes: Int) { self.capBytes = capBytes }

    func reserve(_ bytes: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= capBytes - live else { return false }
        live += bytes
        peak = max(peak, live)
        return true
    }

    /// Bytes held right now.
    var liveBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return live
    }

    func release(_ bytes: Int) {
        lock.lock()
        live -= bytes
        lock.unlock()
    }
}

/// Storage whose bytes count against a run's memory cap until freed.
final class AccountedStorage {
    static func make(byteCount: Int, accountant: MemoryAccountant, pool: StoragePool?) -> RuntimeStorage? {
        guard accountant.reserve(byteCount) else { return nil }
        guard let pool else { return RuntimeStorage(byteCount: byteCount, onFree: { accountant.release(byteCount) }) }
        let size = StoragePool.sizeClass(byteCount)
        let block = pool.take(size)
        return RuntimeStorage(
            pooled: block, byteCount: byteCount,
            onFree: {
                pool.give(block, size)
                accountant.release(byteCount)
            })
    }
}

/// What kernels use while running: allocation under the memory cap, the thread budget, and
/// execution of subgraph plans (If/Loop/Scan) with outer-scope values.
public final class ExecutionContext {
    public let threads: Int
    let accountant: MemoryAccountant
    /// The node being run, for error messages.
    var currentNode: Node?
    /// Values of enclosing graphs, for subgraphs that read them.
    var environment: Environment?

    /// Where freed buffers wait for reuse (nil: straight back to the system).
    let pool: StoragePool?
    /// The session's threads for parallel loops (nil: Dispatch's).
    let workers: WorkerPool?

    init(threads: Int, accountant: MemoryAccountant, pool: StoragePool? = nil, workers: WorkerPool? = nil) {
        self.threads = max(1, threads)
        self.accountant = accountant
        self.pool = pool
        self.workers = workers
    }

    /// A new tensor of `shape`; throws when the bytes would exceed the memory cap.
    public func allocate(_ dataType: DataType, _ shape: [Int]) throws -> RuntimeTensor {
        var elements = 1
        for d in shape {
            guard d >= 0 else { throw KernelFailure("negative dimension in output shape \(shape)") }
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            if overflow { throw KernelFailure("output shape \(shape) overflows") }
            elements = p
        }
        guard let bytes = dataType.packedByteCount(elements: Int64(elements)), bytes <= Int64(Int.max / 2) else {
            throw KernelFailure("cannot allocate \(dataType.name) tensors")
        }
        guard let storage = AccountedStorage.make(byteCount: Int(bytes), accountant: accountant, pool: pool) else {
            throw InterpreterError.memoryCapExceeded(
                node: currentNode?.name ?? "?", op: currentNode?.opType ?? "?", requestedBytes: Int(bytes),
                heldBytes: accountant.liveBytes, capBytes: accountant.capBytes)
        }
        return RuntimeTensor(dataType: dataType, shape: shape, storage: storage)
    }

    /// A new tensor filled with zeros.
    public func zeros(_ dataType: DataType, _ shape: [Int]) throws -> RuntimeTensor {
        let t = try allocate(dataType, shape)
        t.raw.initializeMemory(as: UInt8.self, repeating: 0, count: t.storage.byteCount)
        return t
    }

    /// A string tensor.
    public func strings(_ shape: [Int], _ values: [[UInt8]]) -> RuntimeTensor {
        RuntimeTensor(dataType: .string, shape: shape, storage: RuntimeStorage(byteCount: 0), strings: values)
    }

    /// Runs `body` over `0..<count` split into chunks across the thread budget. `grain` is the
    /// smallest chunk worth a thread.
    public func parallelFor(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        // With the pool, up to four chunks per thread, claimed as threads free up: a thread that
        // starts late or runs slower (a shared VM's cores drift) takes fewer.
        let most = workers == nil ? threads : threads * 4
        let chunks = threads > 1 ? min(most, max(1, count / max(grain, 1))) : 1
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        func chunk(_ c: Int) {
            let start = c * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
        // The chunks are the same whichever thread runs them, so results do not depend on it.
        if let workers {
            if workers.run(chunks, chunk) { return }
            for c in 0..<chunks { chunk(c) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks, execute: chunk)
    }

    /// Runs a subgraph plan with `inputs` bound to its graph inputs; outer-scope values come from
    /// the current environment.
    public func run(_ plan: ExecutionPlan, inputs: [RuntimeTensor?]) throws -> [RuntimeTensor] {
        try Executor(plan: plan, context: self).run(inputs: inputs, parent: environment)
    }
}
