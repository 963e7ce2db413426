import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// Resize and Upsample: examples from the ONNX operator docs, and a grid of modes, coordinate
/// transformations and scales checked against a direct (non-separable) oracle written from the
/// spec's formulas.
@Suite struct ResizeTests {
    static let image4x4 = Tensor.float32(dims: [1, 1, 4, 4], values: (1...16).map(Float.init))

    static func resize(
        _ x: Tensor, opset: Int64 = 19, scales: [Float]? = nil, sizes: [Int64]? = nil, roi: [Float]? = nil,
        _ attributes: [String: AttributeValue]
    ) throws -> RuntimeTensor {
        let inputs: [Tensor?] = [
            x, roi.map { .float32(dims: [Int64($0.count)], values: $0) }, scales.map { .float32(dims: [Int64($0.count)], values: $0) },
            sizes.map { .int64(dims: [Int64($0.count)], values: $0) },
        ]
        return try SingleNode.run("Resize", opset: opset, inputs: inputs, attributes: attributes)[0]
    }

    static func expectClose(_ out: RuntimeTensor, _ expected: [Float], tolerance: Float = 1e-5) {
        #expect(out.count == expected.count)
        for (i, (y, e)) in zip(out.floats, expected).enumerated() { #expect(abs(y - e) <= tolerance, "element \(i): \(y) vs \(e)") }
    }

    // MARK: Examples from the operator documentation

    @Test func upsampleScalesNearest() throws {
        let x = Tensor.float32(dims: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let out = try Self.resize(x, scales: [1, 1, 2, 3], ["mode": .string("nearest")])
        #expect(out.shape == [1, 1, 4, 6])
        Self.expectClose(out, [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4])
    }

    @Test func downsampleScalesLinear() throws {
        let x = Tensor.float32(dims: [1, 1, 2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let out = try Self.resize(x, scales: [1, 1, 0.6, 0.6], ["mode": .string("linear")])
        #expect(out.shape == [1, 1, 1, 2])
        Self.expectClose(out, [2.6666665, 4.3333331])
        let nearest = try Self.resize(x, scales: [1, 1, 0.6, 0.6], ["mode": .string("nearest")])
        Self.expectClose(nearest, [1, 3])
    }

    @Test func upsampleScalesLinearAlignCorners() throws {
        let x = Tensor.float32(dims: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let out = try Self.resize(
            x, scales: [1, 1, 2, 2], ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")])
        Self.expectClose(
            out,
            [
                1, 1.3333334, 1.6666667, 2, 1.6666667, 2, 2.3333335, 2.6666667, 2.3333335, 2.6666667, 3, 3.3333335, 3, 3.3333333, 3.6666667,
                4,
            ])
    }

    @Test func upsampleScalesCubic() throws {
        let out = try Self.resize(Self.image4x4, scales: [1, 1, 2, 2], ["mode": .string("cubic")])
        #expect(out.shape == [1, 1, 8, 8])
        let firstRow: [Float] = [0.47265625, 0.76953125, 1.24609375, 1.875, 2.28125, 2.91015625, 3.38671875, 3.68359375]
        for (y, e) in zip(out.floats.prefix(8), firstRow) { #expect(abs(y - e) < 1e-5) }
    }

    @Test func tfCropAndResizeExtrapolates() throws {
        let inside = try Self.resize(
            Self.image4x4, sizes: [1, 1, 3, 3], roi: [0, 0, 0.4, 0.6, 1, 1, 0.6, 0.8],
            ["mode": .string("linear"), "coordinate_transformation_mode": .string("tf_crop_and_resize")])
        Self.expectClose(inside, [7.6, 7.9, 8.2, 8.8, 9.1, 9.4, 10, 10.3, 10.6], tolerance: 1e-4)
        let outside = try Self.resize(
            Self.image4x4, sizes: [1, 1, 3, 3], roi: [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7],
            ["mode": .string("linear"), "coordinate_transformation_mode": .string("tf_crop_and_resize"), "extrapolation_value": .float(10)])
        Self.expectClose(outside, [7.6, 10, 10, 12.4, 10, 10, 10, 10, 10], tolerance: 1e-4)
    }

    @Test func sizesKeepTheAspectRatio() throws {
        let x = Tensor.float32(dims: [1, 1, 2, 4], values: (1...8).map(Float.init))
        let notLarger = try Self.resize(x, sizes: [5, 5], ["axes": .ints([2, 3]), "keep_aspect_ratio_policy": .string("not_larger")])
        #expect(notLarger.shape == [1, 1, 3, 5])
        let notSmaller = try Self.resize(x, sizes: [5, 5], ["axes": .ints([2, 3]), "keep_aspect_ratio_policy": .string("not_smaller")])
        #expect(notSmaller.shape == [1, 1, 5, 10])
        let axes = try Self.resize(x, scales: [2], ["axes": .ints([-1])])
        #expect(axes.shape == [1, 1, 2, 8])
    }

    // MARK: Legacy forms

    @Test func resize10AndUpsampleUseAsymmetricFloorNearest() throws {
        let x = Tensor.float32(dims: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let resize10 = try SingleNode.run("Resize", opset: 10, inputs: [x, .float32(dims: [4], values: [1, 1, 1.5, 1.5])])[0]
        #expect(resize10.shape == [1, 1, 3, 3])
        Self.expectClose(resize10, [1, 1, 2, 1, 1, 2, 3, 3, 4])
        let upsample7 = try SingleNode.run("Upsample", opset: 7, inputs: [x], attributes: ["scales": .floats([1, 1, 2, 2])])[0]
        Self.expectClose(upsample7, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        let upsample9 = try SingleNode.run(
            "Upsample", opset: 9, inputs: [x, .float32(dims: [4], values: [1, 1, 1, 2])], attributes: ["mode": .string("linear")])[0]
        Self.expectClose(upsample9, [1, 1.5, 2, 2, 3, 3.5, 4, 4])
    }

    @Test func nearestMovesAnyElementType() throws {
        let x = Tensor.int64(dims: [1, 2], values: [7, 9])
        let out = try Self.resize(x, scales: [1, 2], ["mode": .string("nearest")])
        #expect(try out.int64Values() == [7, 7, 9, 9])
        let half = try Self.resize(
            TestTensor.make(.float16, [1, 2], [ElementConversion.floatToHalf(1), ElementConversion.floatToHalf(3)]), scales: [1, 2],
            ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")])
        #expect(half.dataType == .float16)
        #expect(try half.floatValues() == [1, 1.6669922, 2.3339844, 3])
    }

    // MARK: Grid against the direct oracle

    struct GridCase: Sendable, CustomTestStringConvertible {
        let mode: String
        let transform: String
        let nearestMode: String
        let scales: [Float]?
        let sizes: [Int64]?
        var excludeOutside = false
        var antialias = false
        var testDescription: String {
            "\(mode) \(transform) \(mode == "nearest" ? nearestMode : "") \(scales.map { "scales \($0)" } ?? "sizes \(sizes!)")"
                + (excludeOutside ? " exclude_outside" : "") + (antialias ? " antialias" : "")
        }
    }

    static let gridCases: [GridCase] = {
        let transforms = ["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "half_pixel_symmetric"]
        let targets: [([Float]?, [Int64]?)] = [
            ([1, 1, 2, 1.5], nil), ([1, 1, 0.6, 0.8], nil), (nil, [1, 1, 7, 3]), ([1, 1, 1.7, 0.5], nil),
        ]
        var cases: [GridCase] = []
        for transform in transforms {
            for (scales, sizes) in targets {
                for nearestMode in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"] {
                    cases.append(GridCase(mode: "nearest", transform: transform, nearestMode: nearestMode, scales: scales, sizes: sizes))
                }
                cases.append(GridCase(mode: "linear", transform: transform, nearestMode: "", scales: scales, sizes: sizes))
                cases.append(GridCase(mode: "cubic", transform: transform, nearestMode: "", scales: scales, sizes: sizes))
            }
        }
        cases.append(
            GridCase(mode: "cubic", transform: "half_pixel", nearestMode: "", scales: [1, 1, 2, 0.6], sizes: nil, excludeOutside: true))
        cases.append(
            GridCase(mode: "linear", transform: "half_pixel", nearestMode: "", scales: [1, 1, 0.5, 0.4], sizes: nil, antialias: true))
        cases.append(
            GridCase(mode: "cubic", transform: "half_pixel", nearestMode: "", scales: [1, 1, 0.6, 0.4], sizes: nil, antialias: true))
        return cases
    }()

    @Test(arguments: gridCases)
    func matchesDirectOracle(_ c: GridCase) throws {
        var random = SeededGenerator(seed: 21)
        let shape = [1, 2, 4, 5]
        let values = random.floats(shape.reduce(1, *), in: -2...2)
        var attributes: [String: AttributeValue] = ["mode": .string(c.mode), "coordinate_transformation_mode": .string(c.transform)]
        if c.mode == "nearest" { attributes["nearest_mode"] = .string(c.nearestMode) }
        if c.excludeOutside { attributes["exclude_outside"] = .int(1) }
        if c.antialias { attributes["antialias"] = .int(1) }
        let out = try Self.resize(.float32(dims: shape.map(Int64.init), values: values), scales: c.scales, sizes: c.sizes, attributes)
        let expected = ResizeOracle(case: c, shape: shape).run(values)
        #expect(out.shape == expected.shape)
        Self.expectClose(out, expected.values, tolerance: 2e-5)
    }
}

/// Resize written straight from the spec: per-axis coordinates and weights, then a sum over every
/// combination of taps (no separable passes, no clamping shortcuts).
struct ResizeOracle {
    let c: ResizeTests.GridCase
    let shape: [Int]
    let outShape: [Int]
    let scales: [Double]

    init(case c: ResizeTests.GridCase, shape: [Int]) {
        self.c = c
        self.shape = shape
        if let s = c.scales {
            scales = s.map(Double.init)
            outShape = zip(shape, scales).map { Int((Double($0) * $1).rounded(.down)) }
        } else {
            outShape = c.sizes!.map(Int.init)
            scales = zip(outShape, shape).map { Double($0) / Double($1) }
        }
    }

    func coordinate(_ x: Int, axis d: Int) -> Double {
        let (x, n, scale) = (Double(x), Double(shape[d]), scales[d])
        let width = scale * n
        switch c.transform {
        case "half_pixel": return (x + 0.5) / scale - 0.5
        case "half_pixel_symmetric":
            let adjustment = Double(outShape[d]) / width
            return n / 2 * (1 - adjustment) + (x + 0.5) / scale - 0.5
        case "pytorch_half_pixel": return outShape[d] > 1 ? (x + 0.5) / scale - 0.5 : 0
        case "align_corners": return width == 1 ? 0 : x * (n - 1) / (width - 1)
        default: return x / scale
        }
    }

    /// (input index, weight) pairs for output index `o` on axis `d`.
    func taps(_ o: Int, axis d: Int) -> [(Int, Double)] {
        let x = coordinate(o, axis: d)
        let n = shape[d]
        func clamp(_ i: Int) -> Int { min(max(i, 0), n - 1) }
        if c.mode == "nearest" {
            let fraction = x - x.rounded(.down)
            let base = Int(x.rounded(.down))
            let up: Bool
            switch c.nearestMode {
            case "round_prefer_floor": up = fraction > 0.5
            case "round_prefer_ceil": up = fraction >= 0.5
            case "floor": up = false
            default: up = fraction > 0
            }
            return [(clamp(base + (up ? 1 : 0)), 1)]
        }
        let scale = c.antialias ? min(scales[d], 1) : 1
        let support = c.mode == "linear" ? 1.0 : 2.0
        let a = -0.75
        func kernel(_ t: Double) -> Double {
            let s = abs(t * scale)
            if c.mode == "linear" { return max(0, 1 - s) }
            if s <= 1 { return (a + 2) * s * s * s - (a + 3) * s * s + 1 }
            if s < 2 { return a * s * s * s - 5 * a * s * s + 8 * a * s - 4 * a }
            return 0
        }
        // Every input index the stretched filter reaches, edge-padded.
        let reach = Int((support / scale).rounded(.up)) + 1
        var result: [(Int, Double)] = []
        for i in (Int(x.rounded(.down)) - reach)...(Int(x.rounded(.down)) + reach) {
            let w = kernel(Double(i) - x)
            if w == 0 { continue }
            if c.excludeOutside && (i < 0 || i >= n) { continue }
            result.append((clamp(i), w))
        }
        if c.antialias || c.excludeOutside {
            let total = result.map(\.1).reduce(0, +)
            result = result.map { ($0.0, $0.1 / total) }
        }
        return result
    }

    func run(_ values: [Float]) -> (shape: [Int], values: [Float]) {
        let inStrides = StridedCopy.contiguousStrides(shape)
        let axisTaps = (0..<shape.count).map { d in (0..<outShape[d]).map { taps($0, axis: d) } }
        var out: [Float] = []
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<outShape.reduce(1, *) {
            var total = 0.0
            func visit(_ d: Int, _ offset: Int, _ weight: Double) {
                if d == shape.count {
                    total += weight * Double(values[offset])
                    return
                }
                for (i, w) in axisTaps[d][index[d]] { visit(d + 1, offset + i * inStrides[d], weight * w) }
            }
            visit(0, 0, 1)
            out.append(Float(total))
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < outShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return (outShape, out)
    }
}
