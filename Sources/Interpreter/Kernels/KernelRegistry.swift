/// Finds the kernel for (domain, op, opset): the newest descriptor whose `sinceVersion` is at most
/// the opset. Families register through their `kernels` lists, gathered in `allFamilies`.
public struct KernelRegistry: Sendable {
    private var table: [String: [KernelDescriptor]] = [:]

    public init(_ descriptors: [KernelDescriptor]) {
        for d in descriptors { table[Self.key(d.domain, d.op), default: []].append(d) }
        for k in table.keys { table[k]!.sort { $0.sinceVersion > $1.sinceVersion } }
    }

    /// Every kernel Whittle ships.
    public static let standard = KernelRegistry(allFamilies.flatMap { $0 })

    public func lookup(domain: String, op: String, opset: Int) -> KernelDescriptor? {
        table[Self.key(domain, op)]?.first { $0.sinceVersion <= opset }
    }

    /// (domain, op) pairs with at least one kernel.
    public var supportedOps: [(domain: String, op: String)] {
        table.keys.sorted().map { key in
            let parts = key.split(separator: "|", omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]))
        }
    }

    private static func key(_ domain: String, _ op: String) -> String {
        "\(domain == "ai.onnx" ? "" : domain)|\(op)"
    }
}
