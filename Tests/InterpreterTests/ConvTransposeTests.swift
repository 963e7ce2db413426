import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// ConvTranspose against the definition (every input pixel scatters its kernel window into the
/// output), over groups, strides, dilations, pads and output_padding.
@Suite struct ConvTransposeTests {
    struct Case: Sendable, CustomStringConvertible {
        let group: Int, stride: [Int], dilation: [Int], pads: [Int], outputPadding: [Int]
        var description: String { "group \(group) stride \(stride) dilation \(dilation) pads \(pads) output_padding \(outputPadding)" }
    }

    static let cases: [Case] = [
        Case(group: 1, stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], outputPadding: [0, 0]),
        Case(group: 1, stride: [2, 3], dilation: [1, 1], pads: [1, 0, 0, 1], outputPadding: [1, 2]),
        Case(group: 2, stride: [2, 1], dilation: [2, 1], pads: [0, 1, 1, 0], outputPadding: [0, 0]),
    ]

    /// y[n, g*M+m, o] += x[n, g*C+c, i] * w[g*C+c, m, t], o = i * stride + t * dilation - pad.
    static func oracle(_ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], _ c: Case) -> ([Int], [Double]) {
        let (n, cin, h, wd) = (xs[0], xs[1], xs[2], xs[3])
        let (m, kh, kw) = (ws[1], ws[2], ws[3])
        let oh = c.stride[0] * (h - 1) + c.outputPadding[0] + (kh - 1) * c.dilation[0] + 1 - c.pads[0] - c.pads[2]
        let ow = c.stride[1] * (wd - 1) + c.outputPadding[1] + (kw - 1) * c.dilation[1] + 1 - c.pads[1] - c.pads[3]
        let cout = m * c.group, cpg = cin / c.group
        var y = [Double](repeating: 0, count: n * cout * oh * ow)
        for b in 0..<n {
            for ci in 0..<cin {
                let g = ci / cpg
                for i in 0..<h {
                    for j in 0..<wd {
                        for mi in 0..<m {
                            for u in 0..<kh {
                                for v in 0..<kw {
                                    let oi = i * c.stride[0] + u * c.dilation[0] - c.pads[0]
                                    let oj = j * c.stride[1] + v * c.dilation[1] - c.pads[1]
                                    guard oi >= 0, oi < oh, oj >= 0, oj < ow else { continue }
                                    y[((b * cout + g * m + mi) * oh + oi) * ow + oj] +=
                                        Double(x[((b * cin + ci) * h + i) * wd + j]) * Double(w[((ci * m + mi) * kh + u) * kw + v])
                                }
                            }
                        }
                    }
                }
            }
        }
        return ([n, cout, oh, ow], y)
    }

    @Test(arguments: cases) func matchesTheDefinition(_ c: Case) throws {
        var random = SeededGenerator(seed: 11)
        let xs = [2, 4, 3, 4], ws = [4, 3, 2, 3]
        let x = random.floats(xs.reduce(1, *), in: -1...1), w = random.floats(ws.reduce(1, *), in: -1...1)
        let attributes: [String: AttributeValue] = [
            "group": .int(Int64(c.group)), "strides": .ints(c.stride.map(Int64.init)), "dilations": .ints(c.dilation.map(Int64.init)),
            "pads": .ints(c.pads.map(Int64.init)), "output_padding": .ints(c.outputPadding.map(Int64.init)),
        ]
        let y = try SingleNode.run(
            "ConvTranspose", inputs: [.float32(dims: xs.map(Int64.init), values: x), .float32(dims: ws.map(Int64.init), values: w)],
            attributes: attributes)[0]
        let (shape, expected) = Self.oracle(x, xs, w, ws, c)
        #expect(y.shape == shape)
        let actual = Array(y.floats)
        #expect(actual.count == expected.count)
        for i in 0..<min(actual.count, expected.count) where abs(Double(actual[i]) - expected[i]) > 1e-4 {
            Issue.record("element \(i): \(actual[i]) vs \(expected[i])")
            break
        }
    }

    @Test func outputShapeSplitsThePaddingAndExtendsTheEnd() throws {
        // 3x3 input, 3x3 kernel, stride [3, 2]: the natural size is 9 x 7; output_shape [10, 8]
        // asks for one more row and column, which land at the end (total padding -1).
        let x = [Float](repeating: 1, count: 9), w = [Float](repeating: 1, count: 9)
        let y = try SingleNode.run(
            "ConvTranspose", inputs: [.float32(dims: [1, 1, 3, 3], values: x), .float32(dims: [1, 1, 3, 3], values: w)],
            attributes: ["strides": .ints([3, 2]), "output_shape": .ints([10, 8])])[0]
        #expect(y.shape == [1, 1, 10, 8])
        #expect(y.floats[9 * 8] == 0)
        #expect(y.floats[0] == 1)
    }
}
