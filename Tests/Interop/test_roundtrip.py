"""Whittle's writes are what onnx and onnxruntime read: lossless round trips and external data."""
import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort
import pytest

from conftest import fixture_id, fixture_models, run_whittle

MODELS = fixture_models()


def random_feeds(session, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in session.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        kind = inp.type
        if "float16" in kind:
            feeds[inp.name] = rng.standard_normal(shape).astype(np.float16)
        elif "float" in kind or "double" in kind:
            dtype = np.float64 if "double" in kind else np.float32
            feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
        elif "bool" in kind:
            feeds[inp.name] = rng.integers(0, 2, shape).astype(bool)
        elif "int64" in kind:
            feeds[inp.name] = rng.integers(0, 3, shape).astype(np.int64)
        elif "int32" in kind:
            feeds[inp.name] = rng.integers(0, 3, shape).astype(np.int32)
        else:
            return None
    return feeds


def run_ort(path, feeds):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def ort_runnable(path):
    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - fixtures such as unknown-domain functions need not run
        return None


@pytest.mark.parametrize("model", MODELS, ids=fixture_id)
def test_convert_is_lossless(model, tmp_path):
    out = tmp_path / "out.onnx"
    run_whittle("convert", model, "-o", out)
    original = onnx.load(str(model))
    resaved = onnx.load(str(out))
    assert original == resaved, "load -> save changed the ModelProto"


@pytest.mark.parametrize("model", MODELS, ids=fixture_id)
def test_converted_models_pass_checker_and_run_identically(model, tmp_path):
    try:
        onnx.checker.check_model(str(model), full_check=True)
    except Exception:  # noqa: BLE001 - ValidationError or InferenceError: the fixture itself fails
        pytest.skip("the fixture itself does not pass full_check")
    for extra in ([], ["--external-data", "--size-threshold", "256"], ["--inline-data"]):
        out = tmp_path / f"out{len(extra)}.onnx"
        run_whittle("convert", model, "-o", out, *extra)
        onnx.checker.check_model(str(out), full_check=True)
        session = ort_runnable(model)
        if session is None:
            continue
        feeds = random_feeds(session)
        if feeds is None:
            continue
        expected = run_ort(model, feeds)
        actual = run_ort(out, feeds)
        for e, a in zip(expected, actual):
            np.testing.assert_array_equal(e, a)


def test_external_data_conversion_writes_data_file(tmp_path):
    model = next(m for m in MODELS if "digits_cnn" in str(m))
    out = tmp_path / "ext.onnx"
    run_whittle("convert", model, "-o", out, "--external-data", "--size-threshold", "1024")
    data = tmp_path / "ext.onnx.data"
    assert data.exists() and data.stat().st_size > 0
    proto = onnx.load(str(out), load_external_data=False)
    external = [t for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external, "no initializer was moved to external data"
    for t in external:
        entries = {e.key: e.value for e in t.external_data}
        assert entries["location"] == "ext.onnx.data"
        assert int(entries["length"]) >= 1024
    original, converted = onnx.load(str(model)), onnx.load(str(out))
    assert list(original.graph.node) == list(converted.graph.node)
    weights = {t.name: numpy_helper.to_array(t) for t in original.graph.initializer}
    for t in converted.graph.initializer:
        np.testing.assert_array_equal(numpy_helper.to_array(t), weights[t.name])
    assert len(weights) == len(converted.graph.initializer)


def test_convert_never_overwrites_input(tmp_path):
    model = next(m for m in MODELS if "digits_cnn" in str(m))
    copy = tmp_path / "m.onnx"
    copy.write_bytes(model.read_bytes())
    before = copy.read_bytes()
    result = run_whittle("convert", copy, "-o", copy, check=False)
    assert result.returncode == 1
    assert "input" in result.stderr
    assert copy.read_bytes() == before
