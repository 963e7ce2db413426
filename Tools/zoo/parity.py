"""Parity with onnxruntime on the model zoo: every model in bench-work/zoo runs in Whittle's
interpreter and in onnxruntime on the same seeded input, and outputs must agree within
rtol 1e-4 / atol 1e-5 (numpy's assert_allclose rule). Prints a table; exit 1 on any mismatch.
The last column is onnxruntime's own spread: its default session against one with graph
optimizations off, on the same input (summation order alone moves large convolutions' outputs).
Usage (in .venv, after a release build): python Tools/zoo/parity.py [NAME ...]"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
WHITTLE = str(ROOT / ".build/release/whittle")
RTOL, ATOL = 1e-4, 1e-5


def feeds_for(session, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else (128 if "seq" in str(d) else 1) for d in i.shape]
        if "int64" in i.type:
            feeds[i.name] = np.ones(shape, dtype=np.int64) if "mask" in i.name else rng.integers(0, 30000, shape).astype(np.int64)
        else:
            feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def main():
    names = sys.argv[1:]
    models = [p for p in sorted((ROOT / "bench-work/zoo").glob("*.onnx")) if not names or p.stem in names]
    failures = 0
    print("| model | outputs | max abs error | max rel error | within rtol 1e-4 / atol 1e-5 | max abs output | onnxruntime's own spread |")
    print("|---|---|---|---|---|---|---|")
    for model in models:
        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        feeds = feeds_for(session)
        expected = session.run(None, feeds)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        unoptimized = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"]).run(None, feeds)
        spread = max(float(np.max(np.abs(u.astype(np.float64) - e))) for u, e in zip(unoptimized, expected))
        magnitude = max(float(np.max(np.abs(e))) for e in expected)
        with tempfile.TemporaryDirectory() as tmp:
            args = [WHITTLE, "run", str(model), "--output-dir", tmp]
            for k, (name, value) in enumerate(feeds.items()):
                path = pathlib.Path(tmp) / f"in_{k}.pb"
                path.write_bytes(numpy_helper.from_array(value, name).SerializeToString())
                args += ["--input", f"{name}={path}"]
            result = subprocess.run(args, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"| {model.stem} | - | - | - | FAILED: {result.stderr.strip()[:150]} |")
                failures += 1
                continue
            actual = [numpy_helper.to_array(onnx.load_tensor(str(pathlib.Path(tmp) / f"output_{k}.pb"))) for k in range(len(expected))]
        worst_abs = max(float(np.max(np.abs(a.astype(np.float64) - e))) for a, e in zip(actual, expected))
        worst_rel = max(float(np.max(np.abs(a.astype(np.float64) - e) / np.maximum(np.abs(e), 1e-12))) for a, e in zip(actual, expected))
        ok = all(np.allclose(a, e, rtol=RTOL, atol=ATOL) for a, e in zip(actual, expected))
        failures += 0 if ok else 1
        print(f"| {model.stem} | {len(expected)} | {worst_abs:.2e} | {worst_rel:.2e} | {'yes' if ok else 'NO'} | {magnitude:.3g} | {spread:.2e} |")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
