"""`whittle optimize --pipeline cleanup` against onnxslim and onnxsim on the same models in the
same run: node count after, wall time, and whether the output passes the onnx checker
(full_check) and matches the original in onnxruntime (rtol 1e-5 / atol 1e-6; both run with
onnxruntime's graph optimizations off, see unoptimized_session).
Usage: .venv-peers/bin/python Tools/bench/cleanup_compare.py [MODEL.onnx ...]
(default: the fixtures and bench-work/zoo)."""
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

from bench_util import ROOT, table, whittle_binary


def feeds_for(path):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else (128 if "seq" in str(d) else 1) for d in i.shape]
        if "int64" in i.type:
            feeds[i.name] = np.ones(shape, np.int64) if "mask" in i.name else rng.integers(0, 8, shape).astype(np.int64)
        elif "bool" in i.type:
            feeds[i.name] = np.ones(shape, bool)
        else:
            feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def unoptimized_session(path):
    """onnxruntime without its graph fusions: they change the original model's own outputs by
    more than the tolerance (its Gelu fusion moves BERT's hidden states by 2.6e-6), so the check
    would measure onnxruntime's rewrites, not the tool's."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def equivalent(original, candidate):
    try:
        onnx.checker.check_model(str(candidate), full_check=True)
        feeds = feeds_for(original)
        a = unoptimized_session(original).run(None, feeds)
        b = unoptimized_session(candidate).run(None, feeds)
        return all(np.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in zip(a, b))
    except Exception as error:  # noqa: BLE001 - any failure is a "no"
        print(f"  {candidate.name}: {type(error).__name__}: {str(error)[:120]}", file=sys.stderr)
        return False


def nodes(path):
    return len(onnx.load(str(path), load_external_data=False).graph.node)


def run_whittle(model, out):
    start = time.perf_counter()
    subprocess.run([whittle_binary(), "optimize", str(model), "-o", str(out), "--pipeline", "cleanup"], check=True, capture_output=True)
    return time.perf_counter() - start


def run_onnxslim(model, out):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import onnxslim,sys; onnxslim.slim(sys.argv[1], sys.argv[2])", str(model), str(out)], check=True, capture_output=True)
    return time.perf_counter() - start


def run_onnxsim(model, out):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import onnx,onnxsim,sys; m,ok=onnxsim.simplify(onnx.load(sys.argv[1])); onnx.save(m, sys.argv[2])", str(model), str(out)], check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    models = [pathlib.Path(p) for p in sys.argv[1:]] or sorted((ROOT / "Fixtures").rglob("*.onnx")) + sorted((ROOT / "bench-work/zoo").glob("*.onnx"))
    rows = []
    for model in models:
        row = [f"{model.parent.name}/{model.name}", nodes(model)]
        with tempfile.TemporaryDirectory() as tmp:
            for tool, runner in (("whittle", run_whittle), ("onnxslim", run_onnxslim), ("onnxsim", run_onnxsim)):
                out = pathlib.Path(tmp) / f"{tool}.onnx"
                try:
                    seconds = runner(model, out)
                    row += [nodes(out), f"{seconds:.2f}", "yes" if equivalent(model, out) else "NO"]
                except subprocess.CalledProcessError as error:
                    print(f"  {tool} failed on {model.name}: {error.stderr[-200:]}", file=sys.stderr)
                    row += ["-", "-", "failed"]
        rows.append(row)
    print(table(["model", "nodes", "whittle nodes", "s", "ok", "onnxslim nodes", "s", "ok", "onnxsim nodes", "s", "ok"], rows))


if __name__ == "__main__":
    main()
