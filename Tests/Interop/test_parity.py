"""Whittle's interpreter agrees with onnxruntime (the user's real client) on every fixture's test
data, within rtol 1e-4 / atol 1e-5: the expected outputs in test_data folders were produced by
onnxruntime when the fixtures were made."""
import json

import pytest

from conftest import FIXTURES, run_whittle

DATA_FOLDERS = sorted(p for p in FIXTURES.rglob("test_data*") if p.is_dir() and any(p.glob("test_data_set_*")))
RTOL, ATOL = 1e-4, 1e-5


def model_for(folder):
    suffix = folder.name[len("test_data"):].lstrip("_")
    candidates = [folder.parent / f"{suffix}.onnx", folder.parent / "model.onnx"] if suffix else [folder.parent / "model.onnx"]
    for c in candidates:
        if c.exists():
            return c
    onnx_files = sorted(folder.parent.glob("*.onnx"))
    return onnx_files[0]


@pytest.mark.parametrize("folder", DATA_FOLDERS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_outputs_match_onnxruntime(folder):
    model = model_for(folder)
    if "all_dtypes" in model.name:
        pytest.skip("onnxruntime cannot load complex tensors, so this fixture has no reference outputs")
    result = run_whittle("run", model, "--inputs", folder, "--json", timeout=600)
    samples = json.loads(result.stdout)
    assert samples, "no samples ran"
    for sample in samples[:50]:
        for output in sample["outputs"]:
            if output.get("maxAbsError") is None:
                continue
            # numpy allclose per element is bounded by this for the worst element.
            assert output["maxAbsError"] <= ATOL + RTOL * max(abs(output.get("max") or 0), abs(output.get("min") or 0)), (sample["sample"], output)
