import Interpreter
import Testing

@testable import ModelDiff

@Suite struct TensorComparisonTests {
    @Test func identicalTensorsAgreeFully() throws {
        let t = RuntimeTensor.float32([2, 3], [1, 2, 3, 3, 2, 1])
        let c = try TensorComparison(name: "y", reference: t, candidate: t)
        #expect(c.maxAbs == 0 && c.meanAbs == 0 && c.cosine == 1 && c.top1Agreement == 1)
    }

    @Test func errorsAndTop1AreMeasured() throws {
        let a = RuntimeTensor.float32([2, 3], [1, 2, 3, 3, 2, 1])
        let b = RuntimeTensor.float32([2, 3], [1, 2, 3.5, 3, 2, 4])
        let c = try TensorComparison(name: "y", reference: a, candidate: b)
        #expect(c.maxAbs == 3)
        #expect(abs(c.meanAbs - 3.5 / 6) < 1e-12)
        #expect(c.top1Agreement == 0.5)
        #expect(c.cosine < 1 && c.cosine > 0.5)
    }

    @Test func shapeMismatchIsAnError() {
        #expect(throws: ComparisonError.self) {
            _ = try TensorComparison(name: "y", reference: .float32([2], [1, 2]), candidate: .float32([1, 2], [1, 2]))
        }
    }
}
