import ONNXIR

/// A Conv, ConvTranspose, Gemm or MatMul seen as `y = x ⊛ W + B` with one scale and one bias
/// entry per output channel: what BatchNormalization and Mul/Add fusions fold into.
///
///     y' = y * s + t   (per output channel o)   ->   W'[.. o ..] = W[.. o ..] * s[o],  B'[o] = B[o] * s[o] + t[o]
///
/// Weight layouts and where output channel o lives:
///   Conv           W [Cout, Cin/g, k...]         o = first index
///   ConvTranspose  W [Cin, Cout/g, k...], g=group  o = (ci / (Cin/g)) * (Cout/g) + second index
///   Gemm           B [K, N] (transB=0) or [N, K]    o = column n (row n when transB=1); bias C * beta
///   MatMul         W [K, N] (constant, 2-D)          o = column n; no bias input (an Add carries it)
/// Only float32 weights are folded.
struct ChannelAffineTarget {
    enum Layout {
        case conv
        case convTranspose(group: Int)
        case gemm(transB: Bool)
        case matMul
    }

    let node: Node
    let layout: Layout
    let weight: [Float]
    let weightDims: [Int64]
    /// Per-channel bias (Gemm: beta * C), nil when the node has none.
    let bias: [Float]?
    let channels: Int
    /// Rank of the node's output when known (Conv: the weight's rank; Gemm: 2).
    let outputRank: Int?

    /// Reads `node` as a target, or says why it cannot be one.
    static func inspect(_ node: Node) -> Result<ChannelAffineTarget, ConstantFolding.Refusal> {
        let what = label(node)
        guard let (wTensor, w) = ConstantValues.float32(node.input(1)) else {
            return .failure(.init("\(what) has no constant float32 weight"))
        }
        let dims = wTensor.dims
        let layout: Layout
        let channels: Int
        var rank: Int? = dims.count
        switch node.opType {
        case "Conv":
            guard dims.count >= 3 else { return .failure(.init("\(what)'s weight is not a conv kernel")) }
            layout = .conv
            channels = Int(dims[0])
        case "ConvTranspose":
            guard dims.count >= 3 else { return .failure(.init("\(what)'s weight is not a conv kernel")) }
            let group = Int(node.intAttribute("group", default: 1))
            guard group >= 1, Int(dims[0]) % group == 0 else {
                return .failure(.init("\(what)'s group does not divide its input channels"))
            }
            layout = .convTranspose(group: group)
            channels = Int(dims[1]) * group
        case "Gemm":
            guard dims.count == 2 else { return .failure(.init("\(what)'s B is not 2-D")) }
            let transB = node.intAttribute("transB", default: 0) != 0
            layout = .gemm(transB: transB)
            channels = Int(transB ? dims[0] : dims[1])
            rank = 2
        case "MatMul":
            guard dims.count == 2 else { return .failure(.init("\(what)'s constant weight is not 2-D")) }
            layout = .matMul
            channels = Int(dims[1])
            rank = node.firstInput?.knownType?.shape.map { max($0.rank, 2) }
        default:
            return .failure(.init("\(what) is not a Conv, ConvTranspose, Gemm or MatMul"))
        }
        var bias: [Float]?
        if case .matMul = layout {
            bias = nil
        } else if let b = node.input(2) {
            guard let (bTensor, values) = ConstantValues.float32(b) else {
                return .failure(.init("\(what)'s bias is not a constant float32 tensor"))
            }
            if case .gemm = layout {
                // C broadcasts to [M, N]; only a per-column (or single) value is a bias per channel.
                let beta = node.floatAttribute("beta", default: 1)
                guard let perColumn = ShapeMath.perChannel(values, dims: bTensor.dims, rank: 2, axis: 1, channels: channels) else {
                    return .failure(.init("\(what)'s C \(TensorShape(bTensor.dims)) is not one value per column"))
                }
                bias = perColumn.map { $0 * beta }
            } else {
                guard bTensor.dims == [Int64(channels)] else {
                    return .failure(.init("\(what)'s bias \(TensorShape(bTensor.dims)) does not have \(channels) entries"))
                }
                bias = values
            }
        }
        return .success(
            ChannelAffineTarget(
                node: node, layout: layout, weight: w, weightDims: dims, bias: bias, channels: channels, outputRank: rank))
    }

    /// The weight with output channel o multiplied by `scale[o]`.
    func scaledWeight(_ scale: [Double]) -> [Float] {
        var out = weight
        let d = weightDims.map { Int($0) }
        switch layout {
        case .conv:
            let inner = out.count / max(d[0], 1)
            for o in 0..<d[0] { for i in 0..<inner { out[o * inner + i] = Float(Double(out[o * inner + i]) * scale[o]) } }
        case .convTranspose(let group):
            let perGroupIn = d[0] / group
            let perGroupOut = d[1]
            let inner = out.count / max(d[0] * d[1], 1)
            for ci in 0..<d[0] {
                for j in 0..<perGroupOut {
                    let o = (ci / perGroupIn) * perGroupOut + j
                    let base = (ci * perGroupOut + j) * inner
                    for i in 0..<inner { out[base + i] = Float(Double(out[base + i]) * scale[o]) }
                }
            }
        case .gemm(let transB) where transB:
            for n in 0..<d[0] { for k in 0..<d[1] { out[n * d[1] + k] = Float(Double(out[n * d[1] + k]) * scale[n]) } }
        case .gemm, .matMul:
            for k in 0..<d[0] { for n in 0..<d[1] { out[k * d[1] + n] = Float(Double(out[k * d[1] + n]) * scale[n]) } }
        }
        return out
    }

    /// Folds `y * scale + shift` (per output channel; nil scale: 1) into the node's weight and
    /// bias. For MatMul, which has no bias, returns the bias an Add must carry (nil when zero).
    func fold(scale: [Double]?, shift: [Double]?, with rewriter: Rewriter) -> [Float]? {
        if let scale {
            rewriter.writeConstant(
                .float32(dims: weightDims, values: scaledWeight(scale)), into: node, input: 1, baseName: node.input(1)?.name ?? node.name)
        }
        guard scale != nil && bias != nil || shift != nil else { return nil }
        var newBias = [Float](repeating: 0, count: channels)
        for o in 0..<channels {
            let b = Double(bias?[o] ?? 0) * (scale?[o] ?? 1) + (shift?[o] ?? 0)
            newBias[o] = Float(b)
        }
        if case .matMul = layout { return newBias }
        rewriter.writeConstant(
            .float32(dims: [Int64(channels)], values: newBias), into: node, input: 2, baseName: node.input(2)?.name ?? node.name + "_bias")
        if case .gemm = layout { rewriter.setAttribute(node, Attribute(name: "beta", value: .float(1))) }
        return nil
    }
}
