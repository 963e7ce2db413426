import ONNXIR

extension Broadcasting {
    /// The same broadcast with adjacent dimensions merged wherever every input either spans both
    /// or repeats over both, so `forEachRow` walks long rows: PRelu's [N,C,H,W] x [C,1,1] becomes
    /// [N,C,H*W] x [C,1].
    static func coalesced(outShape: [Int], inputShapes: [[Int]]) -> (outShape: [Int], inputShapes: [[Int]]) {
        let rank = outShape.count
        let padded = inputShapes.map { [Int](repeating: 1, count: rank - $0.count) + $0 }
        var out: [Int] = []
        var ins = [[Int]](repeating: [], count: inputShapes.count)
        for d in 0..<rank where outShape[d] != 1 {
            let isFull = padded.map { $0[d] != 1 }
            if let last = out.indices.last, zip(ins, isFull).allSatisfy({ ($0.last! != 1) == $1 }) {
                out[last] *= outShape[d]
                for k in ins.indices where isFull[k] { ins[k][last] *= outShape[d] }
                continue
            }
            out.append(outShape[d])
            for k in ins.indices { ins[k].append(isFull[k] ? outShape[d] : 1) }
        }
        return (out, ins)
    }
}

/// Picks a Swift type of the element's byte width, so data-movement kernels move any ONNX type
/// (floats, integers, bool, float8, complex) with one generic loop.
enum ElementWidth {
    case one, two, four, eight, sixteen

    init(_ dataType: DataType) throws {
        guard let bits = dataType.bitWidth, bits >= 8, bits % 8 == 0 else {
            throw KernelFailure("\(dataType.name) elements cannot be moved one by one")
        }
        switch bits / 8 {
        case 1: self = .one
        case 2: self = .two
        case 4: self = .four
        case 8: self = .eight
        case 16: self = .sixteen
        default: throw KernelFailure("\(dataType.name) elements cannot be moved one by one")
        }
    }

    var bytes: Int {
        switch self {
        case .one: 1
        case .two: 2
        case .four: 4
        case .eight: 8
        case .sixteen: 16
        }
    }
}
