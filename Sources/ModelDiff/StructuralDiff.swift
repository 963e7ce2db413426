import Foundation
import ONNXIR

/// Computes the structural diff of two models' main graphs: matched, added and removed nodes;
/// attribute, input and weight changes of matched nodes (with numeric deltas); interface and
/// metadata changes; size totals.
public struct StructuralDiff {
    let a: Model
    let b: Model

    public init(_ a: Model, _ b: Model) {
        self.a = a
        self.b = b
    }

    public func run() -> DiffReport {
        let ga = a.graph, gb = b.graph
        let pairs = NodeMatcher(a: ga, b: gb).match()
        var forward: [ObjectIdentifier: Node] = [:]
        for (x, y) in pairs { forward[ObjectIdentifier(x)] = y }
        let matchedB = Set(pairs.map { ObjectIdentifier($0.1) })
        var report = DiffReport(totals: totals())
        report.nodesRemoved = ga.nodes.filter { forward[ObjectIdentifier($0)] == nil }.map(ref)
        report.nodesAdded = gb.nodes.filter { !matchedB.contains(ObjectIdentifier($0)) }.map(ref)

        var seenA = Set<ObjectIdentifier>(), seenB = Set<ObjectIdentifier>()
        for (x, y) in pairs {
            if x.name != y.name { report.nodesRenamed += 1 }
            var change = DiffReport.NodeChange(before: ref(x), after: ref(y), attributes: [], inputs: [], weights: [], parameterDelta: 0)
            change.attributes = attributeChanges(x, y)
            for i in 0..<max(x.inputs.count, y.inputs.count) {
                let vx = i < x.inputs.count ? x.inputs[i] : nil
                let vy = i < y.inputs.count ? y.inputs[i] : nil
                if let vx, vx.initializer != nil { seenA.insert(ObjectIdentifier(vx)) }
                if let vy, vy.initializer != nil { seenB.insert(ObjectIdentifier(vy)) }
                if let vx, let vy, let tx = vx.initializer, let ty = vy.initializer {
                    if let w = initializerChange(tx, ty) { change.weights.append(w); change.parameterDelta += w.parameterDelta }
                    continue
                }
                if !sameOrigin(vx, vy, forward: forward) {
                    change.inputs.append(.init(index: i, before: describe(vx), after: describe(vy)))
                    change.parameterDelta += (vy?.initializer?.elementCount ?? 0) - (vx?.initializer?.elementCount ?? 0)
                }
            }
            if change.attributes.isEmpty && change.inputs.isEmpty && change.weights.isEmpty && x.qualifiedOp == y.qualifiedOp {
                report.nodesUnchanged += 1
            } else {
                report.nodesChanged.append(change)
            }
        }
        // Initializers not read by matched nodes: paired by name, the rest added or removed.
        let restA = ga.initializers.filter { !seenA.contains(ObjectIdentifier($0)) }
        var restB = gb.initializers.filter { !seenB.contains(ObjectIdentifier($0)) }
        for v in restA {
            if let i = restB.firstIndex(where: { $0.name == v.name }) {
                if let c = initializerChange(v.initializer!, restB[i].initializer!) { report.initializersChanged.append(c) }
                restB.remove(at: i)
            } else {
                report.initializersRemoved.append(tensorRef(v))
            }
        }
        report.initializersAdded = restB.map(tensorRef)
        report.interface = interfaceChanges()
        report.metadata = metadataChanges()
        return report
    }

    private func totals() -> DiffReport.Totals {
        func count(_ m: Model) -> (Int64, Int64) {
            var p: Int64 = 0, bytes: Int64 = 0
            for v in m.graph.initializers {
                p += v.initializer?.elementCount ?? 0
                bytes += v.initializer?.byteCount ?? 0
            }
            return (p, bytes)
        }
        let (pa, ba) = count(a), (pb, bb) = count(b)
        return .init(
            nodesBefore: a.graph.nodes.count, nodesAfter: b.graph.nodes.count, parametersBefore: pa, parametersAfter: pb, bytesBefore: ba,
            bytesAfter: bb)
    }

    /// Inputs agree when they come from the same place: the same graph input position, matched
    /// producers' same output, or an A producer that was removed and bypassed (its first input
    /// leads to B's origin).
    private func sameOrigin(_ vx: Value?, _ vy: Value?, forward: [ObjectIdentifier: Node]) -> Bool {
        guard let vx, let vy else { return vx == nil && vy == nil }
        var current: Value? = vx
        var steps = 0
        while let v = current, steps < 64 {
            steps += 1
            if let i = a.graph.inputs.firstIndex(where: { $0 === v }) {
                return b.graph.inputs.firstIndex(where: { $0 === vy }) == i
            }
            guard let p = v.producer else { return v.name == vy.name }
            if let q = forward[ObjectIdentifier(p)] {
                guard let k = p.outputs.firstIndex(where: { $0 === v }) else { return false }
                return vy.producer === q && k < q.outputs.count && q.outputs[k] === vy
            }
            // A node that exists only in A: look through it along its first data input.
            current = p.inputs.first { $0 != nil && $0!.initializer == nil } ?? nil
        }
        return false
    }

    private func attributeChanges(_ x: Node, _ y: Node) -> [DiffReport.AttributeChange] {
        var changes: [DiffReport.AttributeChange] = []
        let names = Set(x.attributes.map(\.name)).union(y.attributes.map(\.name)).sorted()
        for name in names {
            let before = x.attribute(name).map { AttributeDescription.text($0.value) }
            let after = y.attribute(name).map { AttributeDescription.text($0.value) }
            if before != after { changes.append(.init(name: name, before: before, after: after)) }
        }
        if x.qualifiedOp != y.qualifiedOp { changes.append(.init(name: "(op)", before: x.qualifiedOp, after: y.qualifiedOp)) }
        return changes
    }

    private func initializerChange(_ tx: Tensor, _ ty: Tensor) -> DiffReport.InitializerChange? {
        var change = DiffReport.InitializerChange(
            before: tx.name, after: ty.name, dtypeBefore: tx.dataType.name, dtypeAfter: ty.dataType.name, shapeBefore: tx.dims,
            shapeAfter: ty.dims,
            maxAbs: nil, relativeL2: nil, parameterDelta: (ty.elementCount ?? 0) - (tx.elementCount ?? 0))
        if tx.dataType == ty.dataType && tx.dims == ty.dims {
            if let bx = try? tx.buffer().bytes, let by = try? ty.buffer().bytes, bx.count == by.count,
                memcmp(bx.baseAddress!, by.baseAddress!, bx.count) == 0
            {
                return nil
            }
            if let fx = try? tx.floatValues(), let fy = try? ty.floatValues(), fx.count == fy.count {
                var maxAbs = 0.0, diff = 0.0, norm = 0.0
                for i in 0..<fx.count {
                    let d = Double(fx[i]) - Double(fy[i])
                    maxAbs = max(maxAbs, abs(d))
                    diff += d * d
                    norm += Double(fx[i]) * Double(fx[i])
                }
                change.maxAbs = maxAbs
                change.relativeL2 = norm > 0 ? (diff / norm).squareRoot() : (diff > 0 ? .infinity : 0)
            }
        }
        return change
    }

    private func interfaceChanges() -> [DiffReport.InterfaceChange] {
        var changes: [DiffReport.InterfaceChange] = []
        func compare(_ kind: String, _ xs: [Value], _ ys: [Value]) {
            for i in 0..<max(xs.count, ys.count) {
                let x = i < xs.count ? xs[i] : nil, y = i < ys.count ? ys[i] : nil
                let tx = x.flatMap { $0.type.map(\.description) }, ty = y.flatMap { $0.type.map(\.description) }
                if x == nil || y == nil || tx != ty {
                    changes.append(
                        .init(
                            kind: kind, name: x?.name ?? y?.name ?? "", before: x.map { "\($0.name): \(tx ?? "?")" },
                            after: y.map { "\($0.name): \(ty ?? "?")" }))
                } else if x!.name != y!.name {
                    changes.append(.init(kind: "renamed", name: x!.name, before: x!.name, after: y!.name))
                }
            }
        }
        compare("input", a.graph.inputs.filter { !$0.isInitializer }, b.graph.inputs.filter { !$0.isInitializer })
        compare("output", a.graph.outputs, b.graph.outputs)
        return changes
    }

    private func metadataChanges() -> [DiffReport.InterfaceChange] {
        var changes: [DiffReport.InterfaceChange] = []
        func check(_ name: String, _ x: String, _ y: String) {
            if x != y { changes.append(.init(kind: "metadata", name: name, before: x, after: y)) }
        }
        check("ir_version", "\(a.irVersion)", "\(b.irVersion)")
        check(
            "opset_import",
            a.opsetImports.map { "\($0.domain.isEmpty ? "ai.onnx" : $0.domain):\($0.version)" }.sorted().joined(separator: ","),
            b.opsetImports.map { "\($0.domain.isEmpty ? "ai.onnx" : $0.domain):\($0.version)" }.sorted().joined(separator: ","))
        check("producer", "\(a.producerName) \(a.producerVersion)", "\(b.producerName) \(b.producerVersion)")
        check(
            "metadata_props", a.metadataProps.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            b.metadataProps.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        check("doc_string", a.docString, b.docString)
        return changes
    }

    private func ref(_ n: Node) -> DiffReport.NodeRef { .init(name: n.name, op: n.qualifiedOp) }
    private func tensorRef(_ v: Value) -> DiffReport.TensorRef {
        .init(name: v.name, dtype: v.initializer?.dataType.name ?? "?", shape: v.initializer?.dims ?? [])
    }
    private func describe(_ v: Value?) -> String? {
        guard let v else { return nil }
        if let t = v.initializer { return "initializer '\(v.name)' \(t.dataType.name)\(TensorShape(t.dims))" }
        if let p = v.producer { return "'\(v.name)' from \(p.opType) '\(p.name)'" }
        return "'\(v.name)'"
    }
}
