"""`whittle optimize`, `passes` and `diff` as users script them: outputs load in onnxruntime, pass
the checker, match the original, and reports follow the JSON Schemas."""
import json

import jsonschema
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import FIXTURES, ROOT, fixture_id, run_whittle

SCHEMAS = ROOT / "Schemas"
# Every fixture onnxruntime runs and the full checker accepts before any tool touches it (the
# misc/*dtypes models hold types onnxruntime has no kernels for; sparse_initializer fails
# full_check as exported).
NOT_RUNNABLE = {"misc/all_dtypes.onnx", "misc/many_dtypes.onnx", "misc/sparse_initializer.onnx"}
CLEANUP_FIXTURES = [p for p in sorted(FIXTURES.rglob("*.onnx")) if str(p.relative_to(FIXTURES)) not in NOT_RUNNABLE]


def schema(name):
    return json.loads((SCHEMAS / name).read_text())


def test_passes_json_lists_every_pass_with_options():
    listing = json.loads(run_whittle("passes", "--json").stdout)
    names = [p["name"] for p in listing]
    assert "cleanup" in names and len(names) == len(set(names))
    for p in listing:
        assert p["summary"]
        for o in p["options"]:
            assert {"name", "type", "defaultValue", "help"} <= set(o)


def test_recipe_examples_follow_the_schema():
    for recipe in (ROOT / "Tests/Interop/recipes").glob("*.json"):
        jsonschema.validate(json.loads(recipe.read_text()), schema("recipe.schema.json"))


@pytest.mark.parametrize("model", CLEANUP_FIXTURES, ids=fixture_id)
def test_cleanup_output_is_valid_and_equivalent(model, tmp_path):
    out, report = tmp_path / "out.onnx", tmp_path / "report.json"
    run_whittle("optimize", model, "-o", out, "--recipe", ROOT / "Tests/Interop/recipes/cleanup.json", "--report", report, "--html", tmp_path / "r.html")
    data = json.loads(report.read_text())
    jsonschema.validate(data, schema("report.schema.json"))
    assert data["written"] is True
    onnx.checker.check_model(str(out), full_check=True)
    original = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    optimized = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {}
    for i in original.get_inputs():
        shape = [d if isinstance(d, int) else 2 for d in i.shape]
        feeds[i.name] = rng.standard_normal(shape).astype(np.float32) if "float" in i.type else np.ones(shape, dtype=bool if "bool" in i.type else np.int64)
    for e, a in zip(original.run(None, feeds), optimized.run(None, feeds)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert len(onnx.load(str(out), load_external_data=False).graph.node) <= len(onnx.load(str(model), load_external_data=False).graph.node)


def test_bench_profile_accounts_for_every_op():
    model = FIXTURES / "digits_cnn/model.onnx"
    report = json.loads(run_whittle("bench", model, "--runs", "3", "--warmup", "1", "--profile", "--json").stdout)
    ops = {n.op_type for n in onnx.load(str(model)).graph.node}
    rows = report["profile"]
    # Fused steps are listed as "Conv+Relu": every op appears in some row.
    assert {op for r in rows for op in r["op"].split("+")} == ops
    assert any("+" in r["op"] for r in rows)
    assert sum(r["nodes"] for r in rows) == len(onnx.load(str(model)).graph.node)
    assert abs(sum(r["share"] for r in rows) - 1) < 1e-6
    assert [r["msPerRun"] for r in rows] == sorted((r["msPerRun"] for r in rows), reverse=True)


def test_budget_failure_writes_nothing(tmp_path):
    out = tmp_path / "out.onnx"
    result = run_whittle("optimize", FIXTURES / "mlp/model.onnx", "-o", out, "--max-delta", "cosine=1.5", check=False)
    assert result.returncode == 64 or result.returncode == 1
    assert not out.exists()


def test_unknown_pass_is_usage_error(tmp_path):
    result = run_whittle("optimize", FIXTURES / "mlp/model.onnx", "-o", tmp_path / "o.onnx", "--pipeline", "cleanup,frobnicate", check=False)
    assert result.returncode == 1
    assert "frobnicate" in result.stderr and "cleanup" in result.stderr
    assert len([l for l in result.stderr.splitlines() if l.strip()]) == 1


def test_diff_of_a_model_with_itself_is_empty():
    model = FIXTURES / "digits_cnn/model.onnx"
    report = json.loads(run_whittle("diff", model, model, "--json").stdout)
    assert report["nodesAdded"] == [] and report["nodesRemoved"] == [] and report["nodesChanged"] == []
    assert report["totals"]["parametersBefore"] == report["totals"]["parametersAfter"]


def test_memory_cap_fails_before_allocating(tmp_path):
    model, data = FIXTURES / "digits_cnn/model.onnx", FIXTURES / "digits_cnn/test_data/test_data_set_0"
    result = run_whittle("run", model, "--inputs", data, "--memory-cap", "4K", "--output-dir", tmp_path, check=False)
    assert result.returncode == 1
    # The message names the node and op whose allocation would cross the cap (the first Conv's).
    assert "over the memory cap of 4096 bytes" in result.stderr and "node '/stem/Conv' (Conv)" in result.stderr
    assert not list(tmp_path.iterdir())
    assert run_whittle("run", model, "--inputs", data, "--memory-cap", "64M", check=False).returncode == 0
    assert run_whittle("bench", model, "--memory-cap", "lots", check=False).returncode == 64


def test_sequence_outputs_are_summarized_and_refused_as_files(tmp_path):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    seq = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("SequenceConstruct", ["x", "x"], ["s"])], "seq", [x], [seq])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "seq.onnx"
    onnx.save(model, str(path))
    data = tmp_path / "x.pb"
    data.write_bytes(onnx.numpy_helper.from_array(np.ones(2, np.float32), "x").SerializeToString())
    summary = json.loads(run_whittle("run", path, "--input", f"x={data}", "--json").stdout)
    assert summary[0]["outputs"][0]["dtype"] == "seq(float32)" and summary[0]["outputs"][0]["shape"] == [2]
    out = tmp_path / "out"
    result = run_whittle("run", path, "--input", f"x={data}", "--output-dir", out, check=False)
    assert result.returncode == 1 and "output 's' is a sequence" in result.stderr
    assert not out.exists()
