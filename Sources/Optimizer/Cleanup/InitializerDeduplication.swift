import ONNXIR

/// Merges initializers holding the same tensor (element type, dims and bytes) into one.
///
///     W1 = [1,2,3]; W2 = [1,2,3]; Conv(x, W1); Conv(z, W2)   ->   W1 = [1,2,3]; Conv(x, W1); Conv(z, W1)
///
/// The first in file order is kept. Only tensors whose type and dims collide are read and
/// hashed, so external data stays unmapped unless it may have a twin. Merged weights are then
/// shared: passes that edit one for a single reader clone it first (clone on write).
///
/// Does not fire on: initializers that are also graph inputs (callers may override them) or
/// graph outputs; sparse initializers; initializers of different graphs (each graph's set is
/// deduplicated on its own).
public struct InitializerDeduplication: GraphPass {
    public static let name = "dedup-initializers"
    public static let summary = "Merge initializers holding identical tensors."

    public init(options: PassOptions) throws {}

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        for graph in context.graph.allGraphs {
            let candidates = graph.initializers.filter { !$0.isGraphInput && !$0.isGraphOutput && $0.initializer != nil }
            // Group by element type and dims first: only collisions need their bytes read.
            var groups: [String: [Value]] = [:]
            var order: [String] = []
            for v in candidates {
                let t = v.initializer!
                let key = "\(t.dataType.rawValue)|\(t.dims)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(v)
            }
            for key in order {
                guard let group = groups[key], group.count > 1 else { continue }
                var kept: [Int: [Value]] = [:]
                for v in group {
                    guard let tensor = v.initializer, let h = TensorContents.hash(tensor) else { continue }
                    if let twin = kept[h]?.first(where: { TensorContents.equal($0.initializer!, tensor) }) {
                        graph.replaceAllUses(of: v, with: twin)
                        graph.removeInitializer(v)
                        report.changed("merged initializer '\(v.name)' into '\(twin.name)'")
                    } else {
                        kept[h, default: []].append(v)
                    }
                }
            }
        }
        return report
    }
}
