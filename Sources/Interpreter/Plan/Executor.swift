import Dispatch
import ONNXIR

/// Slots of one running plan, chained to the environment of the enclosing graph's run.
final class Environment {
    let plan: ExecutionPlan
    var slots: [RuntimeTensor?]
    let parent: Environment?

    init(plan: ExecutionPlan, parent: Environment?) {
        self.plan = plan
        self.slots = [RuntimeTensor?](repeating: nil, count: plan.slotCount)
        self.parent = parent
    }

    func lookup(_ value: Value) -> RuntimeTensor? {
        if let s = plan.slotIndex[ObjectIdentifier(value)], let t = slots[s] { return t }
        return parent?.lookup(value)
    }
}

/// Runs a plan: binds inputs, initializers and captured values, runs each step, frees values
/// after their last use, and returns the graph outputs.
struct Executor {
    let plan: ExecutionPlan
    let context: ExecutionContext
    var observer: ((Value, RuntimeTensor) -> Void)? = nil
    /// Sees each main-graph node with the nanoseconds its kernel took (`whittle bench --profile`).
    var profiler: ((Node, UInt64) -> Void)? = nil

    func run(inputs: [RuntimeTensor?], parent: Environment?) throws -> [RuntimeTensor] {
        let env = Environment(plan: plan, parent: parent)
        for (slot, tensor) in plan.constants { env.slots[slot] = tensor }
        for (i, slot) in plan.inputSlots.enumerated() {
            let given = i < inputs.count ? inputs[i] : nil
            guard let tensor = given ?? plan.inputDefaults[slot] else {
                throw InterpreterError.invalidInput("missing input '\(plan.graph.inputs[i].name)' of graph '\(plan.graph.name)'")
            }
            env.slots[slot] = tensor
        }
        for (slot, value) in plan.captured {
            guard let t = parent?.lookup(value) else {
                throw InterpreterError.invalidInput(
                    "graph '\(plan.graph.name)' reads '\(value.name)' of an enclosing graph, which has no value")
            }
            env.slots[slot] = t
        }
        let savedNode = context.currentNode
        let savedEnvironment = context.environment
        defer {
            context.currentNode = savedNode
            context.environment = savedEnvironment
        }
        for step in plan.steps {
            var args = [RuntimeTensor?]()
            args.reserveCapacity(step.inputSlots.count)
            for s in step.inputSlots { args.append(s.flatMap { env.slots[$0] }) }
            context.currentNode = step.node
            context.environment = env
            let results: [RuntimeTensor?]
            let start = profiler == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            do {
                results = try step.kernel.run(args, context)
            } catch let failure as KernelFailure {
                throw InterpreterError.invalidNode(node: step.node.name, op: step.node.opType, reason: failure.reason)
            }
            if let profiler { profiler(step.node, DispatchTime.now().uptimeNanoseconds - start) }
            for (i, slot) in step.outputSlots.enumerated() {
                guard let slot else { continue }
                guard i < results.count, let r = results[i] else {
                    throw InterpreterError.invalidNode(
                        node: step.node.name, op: step.node.opType, reason: "produced no value for output \(i)")
                }
                env.slots[slot] = r
                if let observer, i < step.outputValues.count, let v = step.outputValues[i] { observer(v, r) }
            }
            for s in step.releaseAfter { env.slots[s] = nil }
        }
        return try plan.outputSlots.enumerated().map { i, s in
            guard let t = env.slots[s] else {
                throw InterpreterError.invalidInput("graph output '\(plan.graph.outputs[i].name)' was not computed")
            }
            return t
        }
    }
}
