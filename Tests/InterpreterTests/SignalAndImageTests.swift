import Foundation
import ONNXIR
import TestSupport
import Testing

@testable import Interpreter

/// DFT, GridSample, NonMaxSuppression, Unique and the string ops on small hand-checked cases.
@Suite struct SignalAndImageTests {
    @Test func dftThenInverseDFTGivesTheSignalBack() throws {
        var random = SeededGenerator(seed: 2)
        let signal = random.floats(8, in: -1...1)
        let spectrum = try SingleNode.run(
            "DFT", opset: 20, inputs: [.float32(dims: [1, 8, 1], values: signal)])[0]
        #expect(spectrum.shape == [1, 8, 2])
        // Bin 0 is the plain sum.
        #expect(abs(Double(spectrum.floats[0]) - signal.reduce(0.0) { $0 + Double($1) }) < 1e-5)
        let back = try SingleNode.run("DFT", opset: 20, inputs: [spectrum.toTensor()], attributes: ["inverse": .int(1)])[0]
        for i in 0..<8 {
            #expect(abs(back.floats[2 * i] - signal[i]) < 1e-5)
            #expect(abs(back.floats[2 * i + 1]) < 1e-5)
        }
        // A onesided inverse (irfft) of the onesided forward transform also returns the signal.
        let half = try SingleNode.run(
            "DFT", opset: 20, inputs: [.float32(dims: [1, 8, 1], values: signal)], attributes: ["onesided": .int(1)])[0]
        #expect(half.shape == [1, 5, 2])
        let real = try SingleNode.run(
            "DFT", opset: 20, inputs: [half.toTensor(), .int64(dims: [], values: [8])],
            attributes: ["inverse": .int(1), "onesided": .int(1)])[0]
        #expect(real.shape == [1, 8, 1])
        for i in 0..<8 { #expect(abs(real.floats[i] - signal[i]) < 1e-5) }
    }

    @Test func gridSampleAtPixelCentersReadsThePixels() throws {
        // align_corners=1: -1 and 1 are the corner pixel centers of a 2x3 image.
        let x: [Float] = [1, 2, 3, 4, 5, 6]
        let grid: [Float] = [-1, -1, 1, 1, 0, -1, 0, 0]  // (x, y) pairs
        let y = try SingleNode.run(
            "GridSample", opset: 20, inputs: [.float32(dims: [1, 1, 2, 3], values: x), .float32(dims: [1, 1, 4, 2], values: grid)],
            attributes: ["align_corners": .int(1)])[0]
        #expect(y.shape == [1, 1, 1, 4])
        #expect(Array(y.floats) == [1, 6, 2, 3.5])
    }

    @Test func nonMaxSuppressionKeepsTheBestOfOverlappingBoxes() throws {
        let boxes: [Float] = [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 10, 1, 11]
        let selected = try SingleNode.run(
            "NonMaxSuppression", opset: 11,
            inputs: [
                .float32(dims: [1, 3, 4], values: boxes), .float32(dims: [1, 1, 3], values: [0.9, 0.95, 0.5]),
                .int64(dims: [1], values: [3]), .float32(dims: [1], values: [0.5]),
            ])[0]
        #expect(selected.shape == [2, 3])
        #expect(try selected.int64Values() == [0, 0, 1, 0, 0, 2])
    }

    @Test func uniqueSortsOrKeepsFirstOccurrence() throws {
        let x = Tensor.float32(dims: [6], values: [2, 1, 1, 3, 4, 3])
        let sorted = try SingleNode.run("Unique", opset: 11, inputs: [x], outputs: 4)
        #expect(Array(sorted[0].floats) == [1, 2, 3, 4])
        #expect(try sorted[1].int64Values() == [1, 0, 3, 4])
        #expect(try sorted[2].int64Values() == [1, 0, 0, 2, 3, 2])
        #expect(try sorted[3].int64Values() == [2, 1, 2, 1])
        let unsorted = try SingleNode.run("Unique", opset: 11, inputs: [x], attributes: ["sorted": .int(0)], outputs: 4)
        #expect(Array(unsorted[0].floats) == [2, 1, 3, 4])
        #expect(try unsorted[2].int64Values() == [0, 1, 1, 2, 3, 2])
    }

    @Test func stringSplitPadsRowsAndCountsParts() throws {
        let outputs = try SingleNode.run(
            "StringSplit", opset: 20, inputs: [TestTensor.strings([2], ["a,b,c", "d"])], attributes: ["delimiter": .string(",")],
            outputs: 2)
        #expect(outputs[0].shape == [2, 3])
        #expect(outputs[0].strings?.map { String(decoding: $0, as: UTF8.self) } == ["a", "b", "c", "d", "", ""])
        #expect(try outputs[1].int64Values() == [3, 1])
        let words = try SingleNode.run("StringSplit", opset: 20, inputs: [TestTensor.strings([1], ["  two  words "])], outputs: 2)
        #expect(words[0].strings?.map { String(decoding: $0, as: UTF8.self) } == ["two", "words"])
    }
}
