import Foundation
import ONNXIR
import ONNXSerialization
import TestSupport
import Testing

@testable import ModelDiff

@Suite struct StructuralDiffTests {
    static func digits() throws -> Model { try ModelLoader.load(contentsOf: RepositoryFiles.url("Fixtures/digits_cnn/model.onnx")) }

    @Test func renamedCopyHasNoStructuralChange() throws {
        let a = try Self.digits()
        let b = try Self.digits()
        for (i, node) in b.graph.nodes.enumerated() {
            node.name = "renamed_node_\(i)"
            for case let out? in node.outputs where !out.isGraphOutput {
                b.graph.rename(out, to: "renamed_value_\(out.name.hashValue & 0xFFFF)_\(i)")
            }
        }
        for (i, v) in b.graph.initializers.enumerated() { b.graph.rename(v, to: "renamed_weight_\(i)") }
        let report = StructuralDiff(a, b).run()
        #expect(!report.hasStructuralChanges)
        #expect(report.nodesUnchanged == a.graph.nodes.count)
        #expect(report.nodesRenamed == a.graph.nodes.count)
    }

    @Test func batchNormFoldingShowsRemovedNormsAndChangedConvs() throws {
        let a = try Self.digits()
        let b = try Self.digits()
        let folded = try BatchNormFolding.foldAll(in: b)
        #expect(folded.count == 4)
        let report = StructuralDiff(a, b).run()
        #expect(Set(report.nodesRemoved.map(\.name)) == Set(folded.map(\.bn)))
        #expect(report.nodesAdded.isEmpty)
        let changed = Set(report.nodesChanged.map(\.before.name))
        #expect(changed == Set(folded.map(\.conv)), "only the Convs that absorbed a BatchNormalization change: \(changed)")
        for c in report.nodesChanged {
            #expect(c.before.op == "Conv")
            #expect(!c.weights.isEmpty || !c.inputs.isEmpty)
            #expect(c.attributes.isEmpty)
        }
    }

    @Test func prunedConvReportsShapesAndParameterDelta() throws {
        func model(channels: Int) -> Model {
            let g = Graph(name: "pruned")
            let x = g.addInput(named: "x", type: .tensor(.float, TensorShape([1, 3, 8, 8] as [Int64])))
            let w1 = g.addInitializer(
                .float32(dims: [Int64(channels), 3, 3, 3], values: [Float](repeating: 0.1, count: channels * 27)), named: "w1")
            let b1 = g.addInitializer(.float32(dims: [Int64(channels)], values: [Float](repeating: 0, count: channels)), named: "b1")
            let c1 = g.makeNode(opType: "Conv", name: "conv1", inputs: [x, w1, b1], outputNames: ["c1"]).outputs[0]!
            let r = g.makeNode(opType: "Relu", name: "relu", inputs: [c1], outputNames: ["r"]).outputs[0]!
            let w2 = g.addInitializer(
                .float32(dims: [16, Int64(channels), 1, 1], values: [Float](repeating: 0.2, count: 16 * channels)), named: "w2")
            g.addOutput(g.makeNode(opType: "Conv", name: "conv2", inputs: [r, w2], outputNames: ["y"]).outputs[0]!)
            return Model(graph: g)
        }
        let report = StructuralDiff(model(channels: 8), model(channels: 4)).run()
        #expect(report.nodesAdded.isEmpty && report.nodesRemoved.isEmpty)
        let conv1 = try #require(report.nodesChanged.first { $0.before.name == "conv1" })
        #expect(conv1.weights.map(\.shapeBefore) == [[8, 3, 3, 3], [8]])
        #expect(conv1.weights.map(\.shapeAfter) == [[4, 3, 3, 3], [4]])
        #expect(conv1.parameterDelta == -(4 * 27 + 4))
        let conv2 = try #require(report.nodesChanged.first { $0.before.name == "conv2" })
        #expect(conv2.parameterDelta == -64)
        #expect(report.totals.parametersAfter - report.totals.parametersBefore == -(4 * 27 + 4 + 64))
    }
}

/// A plain BatchNormalization-into-Conv fold for the diff test (the optimizer has its own pass).
enum BatchNormFolding {
    static func foldAll(in model: Model) throws -> [(conv: String, bn: String)] {
        var folded: [(String, String)] = []
        let g = model.graph
        for bn in g.nodes where bn.opType == "BatchNormalization" {
            guard let x = bn.inputs[0], let conv = x.producer, conv.opType == "Conv", x.uses.count == 1 else { continue }
            let eps = bn.attribute("epsilon")?.float ?? 1e-5
            let (scale, bias, mean, variance) = try (
                bn.inputs[1]!.initializer!.floatValues(), bn.inputs[2]!.initializer!.floatValues(),
                bn.inputs[3]!.initializer!.floatValues(), bn.inputs[4]!.initializer!.floatValues()
            )
            let wValue = conv.inputs[1]!
            let w = try wValue.initializer!.floatValues()
            let channels = scale.count
            let per = w.count / channels
            var newW = w
            var newB = conv.inputs.count > 2 ? try conv.inputs[2]!.initializer!.floatValues() : [Float](repeating: 0, count: channels)
            for c in 0..<channels {
                let f = scale[c] / (variance[c] + eps).squareRoot()
                for k in 0..<per { newW[c * per + k] *= f }
                newB[c] = (newB[c] - mean[c]) * f + bias[c]
            }
            g.setInitializerTensor(wValue, .float32(dims: wValue.initializer!.dims, values: newW))
            if conv.inputs.count > 2 {
                g.setInitializerTensor(conv.inputs[2]!, .float32(dims: [Int64(channels)], values: newB))
            } else {
                conv.appendInput(g.addInitializer(.float32(dims: [Int64(channels)], values: newB), named: g.freshName(conv.name + "_bias")))
            }
            let y = bn.outputs[0]!
            g.replaceAllUses(of: y, with: x, includingGraphOutputs: true)
            g.erase(bn)
            folded.append((conv.name, bn.name))
        }
        return folded
    }
}
