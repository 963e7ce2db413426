"""`quantize` outputs in onnxruntime: every option that writes a different file passes the onnx
checker, loads in onnxruntime and keeps the fixture's predictions; the report names what the pass
kept in float, smoothed, corrected or raised."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from conftest import FIXTURES, run_whittle

DIGITS = FIXTURES / "digits_cnn"
TRANSFORMER = FIXTURES / "transformer"


def samples(fixture, count):
    folder = fixture / "test_data"
    return [numpy_helper.to_array(onnx.load_tensor(str(folder / f"test_data_set_{i}/input_0.pb"))) for i in range(count)]


def logits(path, xs, exact_weight_only=False):
    options = ort.SessionOptions()
    if exact_weight_only:
        # onnxruntime fuses DQ(int4 blocks) -> MatMul into MatMulNBits with accuracy level 4 by
        # default, which quantizes the activations to int8 as well; level 0 computes in float,
        # the model's own semantics.
        options.add_session_config_entry("session.qdq_matmulnbits_accuracy_level", "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x})[0] for x in xs])


def quantize(model, out, pipeline, tmp_path, calibration=True):
    report = tmp_path / "report.json"
    args = ["optimize", model, "-o", out, "--pipeline", pipeline, "--report", report]
    if calibration:
        args += ["--calibration", model.parent / "test_data"]
    run_whittle(*args)
    onnx.checker.check_model(str(out), full_check=True)
    data = json.loads(report.read_text())
    return next(p for p in data["passes"] if p["pass"] == "quantize")


@pytest.mark.parametrize("fixture", [DIGITS, TRANSFORMER], ids=["digits_cnn", "transformer"])
@pytest.mark.parametrize("options", ["", "symmetric=true,bias-correction=false", "smooth-quant=0.5", "activations=int8,calibration-batch=1", "weights=int4"])
def test_static_options_run_in_onnxruntime_and_keep_predictions(fixture, options, tmp_path):
    out = tmp_path / "q.onnx"
    report = quantize(fixture / "model.onnx", out, "cleanup,quantize" + (f"{{{options}}}" if options else ""), tmp_path)
    xs = samples(fixture, 20)
    reference, quantized = logits(fixture / "model.onnx", xs), logits(out, xs)
    assert (reference.argmax(1) == quantized.argmax(1)).mean() >= (0.9 if "int4" in options else 0.95)
    if "int4" in options:
        assert {o.domain: o.version for o in onnx.load(str(out)).opset_import}.get("", 0) == 21
    corrected = any("bias corrected" in c for c in report["changes"])
    if fixture == DIGITS:
        assert corrected == ("bias-correction=false" not in options)
    if "smooth-quant=0.5" in options and fixture == TRANSFORMER:
        assert any(c.startswith("smoothed ") for c in report["changes"])


def test_transformer_report_names_what_auto_float_kept(tmp_path):
    report = quantize(TRANSFORMER / "model.onnx", tmp_path / "q.onnx", "cleanup,quantize{keep-float=/layers.1/ff2/*}", tmp_path)
    reasons = [s["reason"] for s in report["skipped"]]
    assert {"candidate": "MatMul '/layers.1/ff2/MatMul'", "reason": "kept in float by the user (keep-float /layers.1/ff2/*)"} in report["skipped"]
    assert any("auto-float" in r and "LayerNormalization" in r for r in reasons)
    assert any("auto-float" in r and "two activations" in r for r in reasons)
    assert any(c.startswith("auto-float: transformer-style graph") for c in report["changes"])


def test_blocked_int4_weights_raise_the_opset_and_run_in_onnxruntime(tmp_path):
    out = tmp_path / "w4.onnx"
    report = quantize(TRANSFORMER / "model.onnx", out, "cleanup,quantize{mode=weight-only,weights=int4,block-size=16}", tmp_path, calibration=False)
    model = onnx.load(str(out))
    assert {o.domain: o.version for o in model.opset_import}.get("", 0) == 21 and model.ir_version >= 10
    assert any("raised the opset 17 -> 21" in c for c in report["changes"])
    assert any(n.op_type == "DequantizeLinear" and any(a.name == "block_size" for a in n.attribute) for n in model.graph.node)
    xs = samples(TRANSFORMER, 20)
    assert (logits(TRANSFORMER / "model.onnx", xs).argmax(1) == logits(out, xs).argmax(1)).mean() >= 0.9


def activation_steps(path):
    """The scale of every QuantizeLinear with a constant scale: one quantization step each."""
    model = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return [float(inits[n.input[1]].min()) for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[1] in inits]


@pytest.mark.parametrize("fixture", [DIGITS, TRANSFORMER], ids=["digits_cnn", "transformer"])
@pytest.mark.parametrize("pipeline", ["cleanup,quantize", "cleanup,quantize{mode=dynamic}", "cleanup,quantize{mode=weight-only,weights=int4,block-size=16}"])
def test_interpreter_matches_onnxruntime_on_quantized_models(fixture, pipeline, tmp_path):
    """Our interpreter is the calibration engine and the --verify oracle: on a quantized model it
    must agree with onnxruntime's integer kernels within one quantization step per element (the
    finest activation step in the model; 1e-4 relative where no activation is quantized)."""
    if "weight-only" in pipeline and fixture == DIGITS:
        pytest.skip("weight-only quantizes MatMul weights; the CNN has none")
    out, outputs = tmp_path / "q.onnx", tmp_path / "outputs"
    quantize(fixture / "model.onnx", out, pipeline, tmp_path, calibration="mode=" not in pipeline)
    run_whittle("run", out, "--inputs", fixture / "test_data", "--output-dir", outputs, timeout=300)
    xs = samples(fixture, 20)
    expected = logits(out, xs, exact_weight_only="weight-only" in pipeline)
    ours = np.concatenate([numpy_helper.to_array(onnx.load_tensor(str(outputs / f"test_data_set_{i}/output_0.pb"))) for i in range(20)])
    steps = activation_steps(out)
    budget = min(steps) if steps else 1e-4 * np.abs(expected).max()
    assert np.abs(ours - expected).max() <= budget, (np.abs(ours - expected).max(), budget)
