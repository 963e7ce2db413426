import Foundation
import Interpreter
import ONNXIR

/// Quantizes a model with QuantizeLinear/DequantizeLinear (QDQ) nodes in the form onnxruntime
/// fuses into its integer kernels.
///
///     static:      DQ(Q(x)) -> Conv(., DQ(W_int8), DQ(B_int32)) -> Q -> DQ -> ...
///     dynamic:     MatMul(x, W) -> MatMulInteger(DynamicQuantizeLinear(x), W_int8) * scales
///     weight-only: MatMul(x, W) -> MatMul(x, DQ(W_int4, block scales)) or com.microsoft MatMulNBits
///
/// Weights: symmetric, per output channel by default (x = scale * q, zero point 0). Activations:
/// uint8 asymmetric (or int8 symmetric) with scales from calibration. Conv/Gemm biases become
/// int32 with scale = input scale x weight scale. Data-movement ops (Reshape, Transpose, MaxPool,
/// ...) share their input's parameters. Tied weights are quantized once for every user.
/// Static mode also chooses for itself, and the report says each choice: in transformer-style
/// graphs the residual, bias and GELU arithmetic and the attention MatMuls stay float
/// (QuantizationPolicy); MatMul/Gemm inputs with outlier channels are smoothed (SmoothQuant);
/// Conv/Gemm biases absorb the mean shift of weight rounding (BiasCorrection). Blocked weights
/// raise the opset to 21 when that is safe (OpsetRaise).
/// Does not quantize: excluded nodes and op types, layers kept in float, tensors that are not
/// float32, weights that are not constant; static mode refuses to run without calibration data.
public struct QuantizationPass: GraphPass {
    public static let name = "quantize"
    public static let summary = "Quantize weights (and activations) with QDQ nodes: static, dynamic or weight-only."
    public static let optionSpecs = [
        PassOptionSpec(
            "mode", .choice(["static", "dynamic", "weight-only"]), default: "static",
            "static needs --calibration; dynamic and weight-only do not."),
        PassOptionSpec(
            "activations", .choice(["uint8", "int8"]), default: "uint8", "Activation type: uint8 asymmetric or int8 symmetric."),
        PassOptionSpec(
            "weights", .choice(["int8", "int4"]), default: "int8",
            "Weight type; int4 needs opset 21, which the pass raises to when every node keeps its meaning (the report says so)."),
        PassOptionSpec("per-channel", .bool, default: "true", "One weight scale per output channel (else per tensor)."),
        PassOptionSpec(
            "symmetric", .bool, default: "false",
            "Symmetric activation ranges (uint8 zero point 128); activations=int8 is always symmetric."),
        PassOptionSpec("reduce-range", .bool, default: "false", "7-bit activations, for CPUs without VNNI."),
        PassOptionSpec(
            "calibration", .choice(["minmax", "percentile", "entropy", "mse"]), default: "minmax", "How activation ranges are chosen."),
        PassOptionSpec(
            "calibration-batch", .int(1...256), default: "1",
            "Calibration samples stacked into one run when the batch axis is symbolic; more memory, rarely faster (CPU time on resnet50 was the same at 4)."
        ),
        PassOptionSpec("percentile", .double(50...100), default: "99.999", "With calibration=percentile: the share of values kept."),
        PassOptionSpec("exclude", .list, default: "", "Node names (or prefixes ending in *) left in float, separated by ';'."),
        PassOptionSpec("exclude-ops", .list, default: "", "Op types left in float, separated by ';'."),
        PassOptionSpec(
            "keep-float", .list, default: "",
            "Layers kept in float (node names or prefixes ending in *, ';'-separated); the report names each."),
        PassOptionSpec(
            "auto-float", .bool, default: "true",
            "Transformer-style graphs: keep residual/bias/GELU arithmetic and activation x activation MatMuls in float."),
        PassOptionSpec(
            "smooth-quant", .string, default: "auto",
            "SmoothQuant scale migration for MatMul/Gemm inputs: auto (alpha 0.5 where outlier channels are found), off, or an alpha in 0...1 for all."
        ),
        PassOptionSpec(
            "bias-correction", .bool, default: "true",
            "Static: re-estimate Conv/Gemm biases so each channel's mean output matches float on the calibration data."),
        PassOptionSpec("block-size", .int(16...4096), default: "32", "Weight-only: weights per scale along K."),
        PassOptionSpec(
            "matmul-nbits", .bool, default: "false", "Weight-only: emit com.microsoft MatMulNBits instead of blocked DequantizeLinear."),
    ]

    let options: PassOptions
    public init(options: PassOptions) throws {
        self.options = options
        _ = try SmoothQuant.parse(options.string("smooth-quant"))  // validated before anything runs
    }

    public func run(in context: PassContext) throws -> PassReport {
        var report = PassReport(pass: Self.name)
        let selection = NodeSelection(
            exclude: options.list("exclude"), excludeOps: Set(options.list("exclude-ops")), keepFloat: options.list("keep-float"))
        for pattern in selection.keepFloat where !context.model.graph.nodes.contains(where: { NodeSelection.matches(pattern, $0) }) {
            report.skip("keep-float '\(pattern)'", "no node matches it")
        }
        switch options.string("mode") {
        case "weight-only":
            try WeightOnlyQuantization(options: options, selection: selection).run(context.model, &report)
        case "dynamic":
            try DynamicQuantization(options: options, selection: selection).run(context.model, &report)
        default:
            guard let samples = context.calibration, !samples.isEmpty else {
                throw PassError.invalidOptions(
                    pass: Self.name,
                    reason:
                        "static quantization needs calibration data: pass --calibration DIR (DIR/test_data_set_N/input_K.pb or .npy), or use quantize{mode=dynamic} or quantize{mode=weight-only}"
                )
            }
            try StaticQuantization(options: options, selection: selection).run(context.model, samples: samples, log: context.log, &report)
        }
        return report
    }
}

/// Which nodes the user excluded or asked to keep in float.
struct NodeSelection {
    let exclude: [String]
    let excludeOps: Set<String>
    var keepFloat: [String] = []

    static func matches(_ pattern: String, _ node: Node) -> Bool {
        pattern.hasSuffix("*") ? node.name.hasPrefix(String(pattern.dropLast())) : node.name == pattern
    }

    func isExcluded(_ node: Node) -> Bool { floatReason(node) != nil }

    /// Why the user's options keep `node` in float, or nil.
    func floatReason(_ node: Node) -> String? {
        if excludeOps.contains(node.opType) { return "excluded by the user (exclude-ops \(node.opType))" }
        if let p = keepFloat.first(where: { Self.matches($0, node) }) { return "kept in float by the user (keep-float \(p))" }
        if exclude.contains(where: { Self.matches($0, node) }) { return "excluded by the user" }
        return nil
    }
}

/// Inserting QDQ pairs and quantized initializers.
struct QDQBuilder {
    let graph: Graph

    func scalar(_ value: Float, _ base: String) -> Value {
        graph.addInitializer(.float32(dims: [], values: [value]), named: graph.freshName(base))
    }

    func zeroPoint(_ params: QuantParams, _ base: String) -> Value {
        let dims: [Int64] = params.axis == nil ? [] : [Int64(params.zeroPoints.count)]
        let tensor: Tensor =
            switch params.type {
            case .uint8: .uint8(dims: dims, values: params.zeroPoints.map { UInt8(clamping: $0) })
            case .int32: .int32(dims: dims, values: params.zeroPoints)
            default: .int8(dims: dims, values: params.zeroPoints.map { Int8(clamping: $0) })
            }
        return graph.addInitializer(tensor, named: graph.freshName(base))
    }

    func scales(_ params: QuantParams, _ base: String) -> Value {
        params.axis == nil
            ? scalar(params.scales[0], base)
            : graph.addInitializer(.float32(dims: [Int64(params.scales.count)], values: params.scales), named: graph.freshName(base))
    }

    /// Q -> DQ on `value`; every reader except the new Q reads the DQ output instead.
    @discardableResult
    func insertPair(on value: Value, _ params: QuantParams, before anchor: Node?, readers wanted: (Node) -> Bool = { _ in true }) -> Value {
        let readers = value.uses.filter { wanted($0.node) }
        let s = scales(params, value.name + "_scale"), z = zeroPoint(params, value.name + "_zero_point")
        let position = anchor ?? readers.first?.node
        let q = graph.addNode(opType: "QuantizeLinear", baseName: value.name + "_QuantizeLinear", inputs: [value, s, z], before: position)
        let dq = graph.addNode(
            opType: "DequantizeLinear", baseName: value.name + "_DequantizeLinear", inputs: [q.outputs[0], s, z], before: position)
        q.origin = QuantizationPass.name
        dq.origin = QuantizationPass.name
        for use in readers { use.node.setInput(use.index, dq.outputs[0]) }
        return dq.outputs[0]!
    }

    /// A constant quantized initializer feeding a DequantizeLinear (no Q node).
    func dequantized(_ quantized: Tensor, _ params: QuantParams, name: String, before anchor: Node, blockSize: Int? = nil) -> Value {
        let q = graph.addInitializer(quantized, named: graph.freshName(name + "_quantized"))
        let s =
            params.axis == nil && blockSize == nil
            ? scalar(params.scales[0], name + "_scale")
            : graph.addInitializer(
                Tensor.float32(
                    dims: blockSize == nil ? [Int64(params.scales.count)] : quantizedScaleDims(quantized, params, blockSize!),
                    values: params.scales),
                named: graph.freshName(name + "_scale"))
        var attributes: [Attribute] = []
        if let axis = params.axis { attributes.append(Attribute(name: "axis", value: .int(Int64(axis)))) }
        if let blockSize { attributes.append(Attribute(name: "block_size", value: .int(Int64(blockSize)))) }
        var inputs: [Value?] = [q, s]
        // Symmetric weights need no zero point; asymmetric constants (Add/Mul operands) do.
        if params.zeroPoints.contains(where: { $0 != 0 }) { inputs.append(zeroPoint(params, name + "_zero_point")) }
        let dq = graph.addNode(
            opType: "DequantizeLinear", baseName: name + "_DequantizeLinear", attributes: attributes, inputs: inputs, before: anchor)
        dq.origin = QuantizationPass.name
        return dq.outputs[0]!
    }

    private func quantizedScaleDims(_ t: Tensor, _ params: QuantParams, _ blockSize: Int) -> [Int64] {
        var dims = t.dims
        let axis = params.axis ?? 0
        dims[axis] = (dims[axis] + Int64(blockSize) - 1) / Int64(blockSize)
        return dims
    }
}
