"""com.microsoft ops that exporters and onnxruntime's quantizer emit, checked against onnxruntime
(the contrib spec's reference implementation) on models built here."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import run_whittle


def run_both(model, feeds, tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)
    args = ["run", path, "--output-dir", tmp_path / "out"]
    for k, (name, value) in enumerate(feeds.items()):
        p = tmp_path / f"in{k}.pb"
        p.write_bytes(numpy_helper.from_array(value, name).SerializeToString())
        args += ["--input", f"{name}={p}"]
    run_whittle(*args)
    actual = [numpy_helper.to_array(onnx.load_tensor(str(tmp_path / "out" / f"output_{k}.pb"))) for k in range(len(expected))]
    return expected, actual


@pytest.mark.parametrize("zero_points,bias,k", [(False, False, 64), (True, False, 64), (True, True, 80), (False, True, 32)])
def test_matmul_nbits_matches_onnxruntime(zero_points, bias, k, tmp_path):
    rng = np.random.default_rng(0)
    n, block = 24, 16
    blocks = (k + block - 1) // block
    q = rng.integers(0, 16, (n, blocks, block)).astype(np.uint8)
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    scales = (rng.random((n * blocks,)) * 0.1 + 0.01).astype(np.float32)
    inits = [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales, "scales")]
    inputs = ["A", "B", "scales"]
    if zero_points:
        zp = rng.integers(0, 16, (n, blocks)).astype(np.uint8)
        if blocks % 2:
            zp = np.concatenate([zp, np.zeros((n, 1), np.uint8)], axis=1)
        inits.append(numpy_helper.from_array((zp[:, 0::2] | (zp[:, 1::2] << 4)).astype(np.uint8).reshape(-1), "zp"))
        inputs.append("zp")
    if bias:
        inputs += [""] * (4 - len(inputs)) + ["", "bias"]
        inits.append(numpy_helper.from_array(rng.standard_normal(n).astype(np.float32), "bias"))
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft", K=k, N=n, bits=4, block_size=block)
    graph = helper.make_graph([node], "nbits", [helper.make_tensor_value_info("A", TensorProto.FLOAT, [3, k])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, n])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    expected, actual = run_both(model, {"A": rng.standard_normal((3, k)).astype(np.float32)}, tmp_path)
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("trans_a,trans_b,alpha", [(0, 0, 1.0), (0, 1, 0.5), (1, 0, 2.0), (1, 1, 1.0)])
def test_fused_matmul_matches_onnxruntime(trans_a, trans_b, alpha, tmp_path):
    rng = np.random.default_rng(1)
    a_shape = [2, 5, 4] if not trans_a else [2, 4, 5]
    b_shape = [4, 3] if not trans_b else [3, 4]
    node = helper.make_node("FusedMatMul", ["A", "B"], ["Y"], domain="com.microsoft", transA=trans_a, transB=trans_b, alpha=alpha)
    graph = helper.make_graph([node], "fused", [helper.make_tensor_value_info("A", TensorProto.FLOAT, a_shape), helper.make_tensor_value_info("B", TensorProto.FLOAT, b_shape)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    feeds = {"A": rng.standard_normal(a_shape).astype(np.float32), "B": rng.standard_normal(b_shape).astype(np.float32)}
    expected, actual = run_both(model, feeds, tmp_path)
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-5, atol=1e-5)
