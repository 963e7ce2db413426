import Foundation
import ONNXIR

/// LabelEncoder (ai.onnx.ml, opset 2-4): maps each element through keys -> values (strings,
/// int64s, floats or, from opset 4, tensors), unknown keys to the default.
final class LabelEncoderKernel: Kernel {
    enum Key: Hashable {
        case string([UInt8])
        case number(Double)
    }
    let table: [Key: Int]
    /// Values as strings or numbers, in `valueType`; the default is the last entry.
    let stringValues: [[UInt8]]
    let numberValues: [Double]
    let valueType: DataType

    init(_ ctx: KernelBuildContext) throws {
        func strings(_ name: String) throws -> [[UInt8]]? {
            guard let a = ctx.node.attribute(name) else { return nil }
            guard case .strings(let v) = a.value else { throw ctx.fail("attribute '\(name)' must be a list of strings") }
            return v
        }
        func tensorValues(_ name: String) throws -> (DataType, [[UInt8]], [Double])? {
            guard let t = try ctx.tensor(name) else { return nil }
            let r = try RuntimeTensor(t)
            if let s = r.strings { return (.string, s, []) }
            return (r.dataType, [], try FloatIO.doubles(r))
        }
        let keys: [Key]
        if let s = try strings("keys_strings") {
            keys = s.map { .string($0) }
        } else if let i = try ctx.ints("keys_int64s") {
            keys = i.map { .number(Double($0)) }
        } else if let f = try ctx.floats("keys_floats") {
            keys = f.map { .number(Double($0)) }
        } else if let (type, s, n) = try tensorValues("keys_tensor") {
            keys = type == .string ? s.map { .string($0) } : n.map { .number($0) }
        } else {
            throw ctx.fail("needs keys")
        }
        var sv: [[UInt8]] = [], nv: [Double] = []
        let type: DataType
        if let s = try strings("values_strings") {
            (type, sv) = (.string, s)
        } else if let i = try ctx.ints("values_int64s") {
            (type, nv) = (.int64, i.map(Double.init))
        } else if let f = try ctx.floats("values_floats") {
            (type, nv) = (.float, f.map(Double.init))
        } else if let (t, s, n) = try tensorValues("values_tensor") {
            (type, sv, nv) = (t, s, n)
        } else {
            throw ctx.fail("needs values")
        }
        guard keys.count == max(sv.count, nv.count) else { throw ctx.fail("keys and values differ in length") }
        if let (_, s, n) = try tensorValues("default_tensor") {
            sv += s.prefix(1)
            nv += n.prefix(1)
        } else if type == .string {
            sv.append(Array(try ctx.string("default_string", default: "_Unused").utf8))
        } else if type == .int64 {
            nv.append(Double(try ctx.int("default_int64", default: -1)))
        } else {
            nv.append(Double(try ctx.float("default_float", default: -0.0)))
        }
        var table: [Key: Int] = [:]
        for (i, k) in keys.enumerated() where table[k] == nil { table[k] = i }
        self.table = table
        (stringValues, numberValues, valueType) = (sv, nv, type)
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let keys: [Key] = try x.strings.map { $0.map { .string($0) } } ?? FloatIO.doubles(x).map { .number($0) }
        let fallback = valueType == .string ? stringValues.count - 1 : numberValues.count - 1
        let picks = keys.map { table[$0] ?? fallback }
        if valueType == .string { return [context.strings(x.shape, picks.map { stringValues[$0] })] }
        let values = picks.map { numberValues[$0] }
        if valueType.isFloatingPoint { return [try FloatIO.make(valueType, x.shape, values, context)] }
        return [try CastKernel.convert(RuntimeTensor.int64(x.shape, values.map { Int64($0) }), to: valueType, saturate: true, context)]
    }
}

/// Binarizer (ai.onnx.ml): 1 where x > threshold, else 0, in x's type.
final class BinarizerKernel: Kernel {
    let threshold: Double

    init(_ ctx: KernelBuildContext) throws { threshold = Double(try ctx.float("threshold", default: 0)) }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        let y = try FloatIO.doubles(x).map { $0 > threshold ? 1.0 : 0.0 }
        if x.dataType.isFloatingPoint { return [try FloatIO.make(x.dataType, x.shape, y, context)] }
        return [try CastKernel.convert(RuntimeTensor.int64(x.shape, y.map { Int64($0) }), to: x.dataType, saturate: true, context)]
    }
}

/// ArrayFeatureExtractor (ai.onnx.ml): X[..., Y] along the last axis (a 1-D X gives [1, len(Y)]).
final class ArrayFeatureExtractorKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), indices = try Require.input(inputs, 1, "Y").intValues()
        guard x.rank >= 1, let n = x.shape.last else { throw KernelFailure("X must have rank 1 or more") }
        guard indices.allSatisfy({ $0 >= 0 && $0 < n }) else { throw KernelFailure("an index is outside [0, \(n))") }
        let shape = (x.rank == 1 ? [1] : Array(x.shape.dropLast())) + [indices.count]
        let rows = x.count / max(n, 1)
        if let strings = x.strings {
            var values: [[UInt8]] = []
            for r in 0..<rows { for i in indices { values.append(strings[r * n + i]) } }
            return [context.strings(shape, values)]
        }
        let bytes = try Axis.elementBytes(x.dataType)
        let out = try context.allocate(x.dataType, shape)
        var o = 0
        for r in 0..<rows {
            for i in indices {
                (out.raw + o * bytes).copyMemory(from: x.raw + (r * n + i) * bytes, byteCount: bytes)
                o += 1
            }
        }
        return [out]
    }
}

/// TreeEnsemble (ai.onnx.ml, opset 5): every tree routes each row of X [N, F] from its root
/// through nodes comparing X[feature] with the split (<=, <, >=, >, ==, !=, or membership in a
/// set; NaN follows the true branch where nodes_missing_value_tracks_true says so) to a leaf
/// (weight, target); targets aggregate by sum, average, min or max. post_transform NONE only.
final class TreeEnsembleKernel: Kernel {
    enum Child {
        case node(Int)
        case leaf(Int)
    }
    struct TreeNode {
        let mode: Int, feature: Int
        let split: Double
        let members: Set<Double>
        let isMissingTrue: Bool
        let whenTrue: Child, whenFalse: Child
    }
    let nodes: [Int: TreeNode]
    let roots: [Child]
    let leafWeights: [Double], leafTargets: [Int]
    let aggregate: Int
    let targets: Int

    init(_ ctx: KernelBuildContext) throws {
        func values(_ name: String) throws -> [Double] {
            guard let t = try ctx.tensor(name) else { return [] }
            return try FloatIO.doubles(try RuntimeTensor(t))
        }
        let splits = try values("nodes_splits"), members = try values("membership_values")
        // nodes_modes is a uint8 tensor in the spec.
        let modes = try ctx.tensor("nodes_modes").map { try RuntimeTensor($0).intValues() } ?? []
        let features = try ctx.ints("nodes_featureids") ?? []
        let trueIds = try ctx.ints("nodes_truenodeids") ?? [], falseIds = try ctx.ints("nodes_falsenodeids") ?? []
        let trueLeafs = try ctx.ints("nodes_trueleafs") ?? [], falseLeafs = try ctx.ints("nodes_falseleafs") ?? []
        let missing = try ctx.ints("nodes_missing_value_tracks_true") ?? []
        let leafTargets = try ctx.ints("leaf_targetids") ?? []
        let leafWeights = try values("leaf_weights")
        (self.leafTargets, self.leafWeights) = (leafTargets, leafWeights)
        let rootIds = try ctx.ints("tree_roots") ?? []
        let aggregate = try ctx.int("aggregate_function", default: 1)
        guard try ctx.int("post_transform", default: 0) == 0 else { throw ctx.fail("only post_transform NONE is supported") }
        guard let n = try ctx.int("n_targets"), n > 0 else { throw ctx.fail("n_targets is required") }
        (self.aggregate, targets) = (aggregate, n)
        let count = modes.count
        guard [features.count, trueIds.count, falseIds.count, trueLeafs.count, falseLeafs.count, splits.count].allSatisfy({ $0 == count }),
            leafTargets.count == leafWeights.count, leafTargets.allSatisfy({ $0 >= 0 && $0 < n })
        else { throw ctx.fail("node and leaf attributes differ in length") }
        // Membership sets are listed NaN-separated in the order the trees are built (depth first,
        // true branch first), as the reference reads them.
        var memberCursor = 0
        var built: [Int: TreeNode] = [:]
        func build(_ i: Int) throws -> Child {
            guard i >= 0 && i < count else { throw ctx.fail("node id \(i) is out of range") }
            if built[i] != nil { return .node(i) }
            var set = Set<Double>()
            if modes[i] == 6 {
                while memberCursor < members.count, !members[memberCursor].isNaN {
                    set.insert(members[memberCursor])
                    memberCursor += 1
                }
                memberCursor += 1
            }
            func child(_ id: Int, _ isLeaf: Bool) throws -> Child {
                if isLeaf {
                    guard id >= 0 && id < leafWeights.count else { throw ctx.fail("leaf id \(id) is out of range") }
                    return .leaf(id)
                }
                return try build(id)
            }
            let t = try child(trueIds[i], trueLeafs[i] != 0)
            let f = try child(falseIds[i], falseLeafs[i] != 0)
            built[i] = TreeNode(
                mode: modes[i], feature: features[i], split: splits[i], members: set, isMissingTrue: i < missing.count && missing[i] != 0,
                whenTrue: t, whenFalse: f)
            return .node(i)
        }
        var roots: [Child] = []
        for r in rootIds {
            guard r >= 0 && r < count else { throw ctx.fail("tree root \(r) is out of range") }
            if trueLeafs[r] != 0 && falseLeafs[r] != 0 && trueIds[r] == falseIds[r] {
                guard r < leafWeights.count else { throw ctx.fail("leaf id \(r) is out of range") }
                roots.append(.leaf(r))
            } else {
                roots.append(try build(r))
            }
        }
        self.roots = roots
        nodes = built
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank == 2 else { throw KernelFailure("X must be [N, F], got \(x.shape)") }
        let (rows, features) = (x.shape[0], x.shape[1])
        let v = try FloatIO.doubles(x)
        let initial: Double = aggregate == 2 ? .greatestFiniteMagnitude : (aggregate == 3 ? -.greatestFiniteMagnitude : 0)
        var y = [Double](repeating: initial, count: rows * targets)
        for r in 0..<rows {
            for root in roots {
                var current = root
                while case .node(let i) = current, let node = nodes[i] {
                    guard node.feature >= 0 && node.feature < features else {
                        throw KernelFailure("feature \(node.feature) is out of range")
                    }
                    let value = v[r * features + node.feature]
                    let taken: Bool
                    switch node.mode {
                    case 0: taken = value <= node.split
                    case 1: taken = value < node.split
                    case 2: taken = value >= node.split
                    case 3: taken = value > node.split
                    case 4: taken = value == node.split
                    case 5: taken = value != node.split
                    default: taken = node.members.contains(value)
                    }
                    current = taken || (node.isMissingTrue && value.isNaN) ? node.whenTrue : node.whenFalse
                }
                guard case .leaf(let l) = current else { throw KernelFailure("tree walk ended on a missing node") }
                let k = r * targets + leafTargets[l], w = leafWeights[l]
                switch aggregate {
                case 0: y[k] += w / Double(roots.count)
                case 2: y[k] = min(y[k], w)
                case 3: y[k] = max(y[k], w)
                default: y[k] += w
                }
            }
        }
        return [try FloatIO.make(x.dataType, [rows, targets], y, context)]
    }
}

enum MLKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("TreeEnsemble", domain: "ai.onnx.ml", since: 5) { try TreeEnsembleKernel($0) },
        KernelDescriptor("LabelEncoder", domain: "ai.onnx.ml", since: 2) { try LabelEncoderKernel($0) },
        KernelDescriptor("Binarizer", domain: "ai.onnx.ml") { try BinarizerKernel($0) },
        KernelDescriptor("ArrayFeatureExtractor", domain: "ai.onnx.ml") { _ in ArrayFeatureExtractorKernel() },
    ]
}
