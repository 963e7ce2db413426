import ONNXIR

/// Turns a sparse initializer into the dense tensor the kernels read: `values` scattered at
/// `indices`, given either as linear positions [NNZ] or as coordinates [NNZ, rank].
enum SparseDensifier {
    static func dense(_ sparse: SparseTensor, name: String) throws -> RuntimeTensor {
        func fail(_ reason: String) -> InterpreterError { .invalidNode(node: name, op: "sparse_initializer", reason: reason) }
        let dims = sparse.dims.map { Int($0) }
        let count = dims.reduce(1, *)
        let values = try RuntimeTensor(sparse.values)
        let indices = try sparse.indices.int64Values()
        guard let bits = values.dataType.bitWidth, bits >= 8 else { throw fail("sparse \(values.dataType.name) values are not supported") }
        let width = bits / 8
        let nnz = values.count
        let storage = RuntimeStorage(byteCount: count * width)
        storage.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: count * width)
        let isCoordinates = indices.count == nnz * dims.count && dims.count > 1
        guard indices.count == nnz || isCoordinates else { throw fail("indices hold \(indices.count) values for \(nnz) non-zeros") }
        for k in 0..<nnz {
            var position = 0
            if isCoordinates {
                for d in 0..<dims.count { position = position * dims[d] + Int(indices[k * dims.count + d]) }
            } else {
                position = Int(indices[k])
            }
            guard position >= 0 && position < count else { throw fail("index \(position) is outside dims \(dims)") }
            (storage.pointer + position * width).copyMemory(from: values.raw + k * width, byteCount: width)
        }
        return RuntimeTensor(dataType: values.dataType, shape: dims, storage: storage)
    }
}
