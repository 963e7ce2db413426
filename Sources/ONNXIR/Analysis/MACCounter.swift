/// Multiply-accumulate counts of the ops that do dense math, from inferred shapes.
///   Conv:          N * Cout * Hout * Wout * (Cin / group) * kH * kW  (= output elements * W[1...])
///   ConvTranspose: input elements * (Cout / group) * kH * kW          (= X elements * W[1...])
///   Gemm, MatMul:  output elements * K (batched MatMul included)
///   LSTM/GRU/RNN:  seq * batch * (elements of W + elements of R), all directions and gates
/// Symbolic dims count as 1 (per-sample cost); an unknown dim makes the count nil. Products
/// that overflow Int64 are nil too.
enum MACCounter {
    static let computeOps: Set<String> = [
        "Conv", "ConvTranspose", "Gemm", "MatMul", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "FusedMatMul",
        "MatMulNBits", "LSTM", "GRU", "RNN",
    ]

    static func isCompute(_ n: Node) -> Bool { computeOps.contains(n.opType) && isKnownDomain(n) }
    static func isKnownDomain(_ n: Node) -> Bool { n.normalizedDomain.isEmpty || n.normalizedDomain == "com.microsoft" }

    static func macs(of n: Node) -> Int64? {
        guard isCompute(n) else { return 0 }
        func input(_ i: Int) -> [Int64]? { i < n.inputs.count ? sizes(n.inputs[i]) : nil }
        let out = n.outputs.first.flatMap { sizes($0) }
        switch n.opType {
        case "Conv", "ConvInteger", "QLinearConv":
            // Every output element sums Cin/group x kernel taps: exactly W's per-filter size.
            guard let out, let w = input(n.opType == "QLinearConv" ? 3 : 1), w.count >= 2 else { return nil }
            return product(out + w.dropFirst())
        case "ConvTranspose":
            guard let x = input(0), let w = input(1), w.count >= 2 else { return nil }
            return product(x + w.dropFirst())
        case "Gemm", "MatMul", "MatMulInteger", "FusedMatMul", "QLinearMatMul", "MatMulNBits":
            guard let out, let a = input(0), !a.isEmpty else { return nil }
            let transposed = (n.opType == "Gemm" || n.opType == "FusedMatMul") && n.attribute("transA")?.int == 1
            let k = transposed && a.count >= 2 ? a[a.count - 2] : a[a.count - 1]
            return product(out + [k])
        default:  // LSTM / GRU / RNN
            guard let x = input(0), x.count == 3, let w = input(1), let r = input(2),
                let wr = product(w).flatMap({ a in product(r).map { a.saturatingAdd($0) } })
            else { return nil }
            return product([x[0], x[1], wr])
        }
    }

    /// A value's dims with symbols as 1; nil when the shape or any dim is unknown.
    static func sizes(_ v: Value?) -> [Int64]? {
        guard let dims = v?.knownType?.shape?.dimensions else { return nil }
        var result: [Int64] = []
        for d in dims {
            switch d {
            case .value(let x): result.append(x)
            case .symbol: result.append(1)
            case .unknown: return nil
            }
        }
        return result
    }

    static func product(_ factors: [Int64]) -> Int64? {
        var total: Int64 = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow || f < 0 { return nil }
            total = p
        }
        return total
    }
}
