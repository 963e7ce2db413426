"""Parity with onnxruntime on the model zoo: every model in bench-work/zoo runs in Whittle's
interpreter and in onnxruntime on the same seeded input, and outputs must agree within
rtol 1e-4 / atol 1e-5 (numpy's assert_allclose rule). Prints a table; exit 1 on any mismatch.
The spread column is onnxruntime's own: its default session against one with graph
optimizations off, on the same input (summation order alone moves large convolutions' outputs).
With --float64, each model also runs in float64 (a copy with every float tensor widened) under
onnx.reference, and the last two columns give each float32 runtime's distance from that truth:
where the two runtimes disagree by more than the tolerance, this tells which one is off.
Usage (in .venv, after a release build): python Tools/zoo/parity.py [--float64] [NAME ...]"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper

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


def widened(model):
    """A float64 copy of `model`: float initializers, constants, casts and value types widened."""
    model = onnx.load(str(model))

    def widen(tensor):
        if tensor.data_type == TensorProto.FLOAT:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float64), tensor.name))

    for tensor in model.graph.initializer:
        widen(tensor)
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                widen(attribute.t)
            elif node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT:
                attribute.i = TensorProto.DOUBLE
    for value in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.DOUBLE
    return model


def float64_truth(model, feeds):
    from onnx.reference import ReferenceEvaluator

    wide = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in feeds.items()}
    return ReferenceEvaluator(widened(model)).run(None, wide)


def distance(outputs, truth):
    return max(float(np.max(np.abs(o.astype(np.float64) - t))) for o, t in zip(outputs, truth))


def main():
    args = sys.argv[1:]
    with_truth = "--float64" in args
    names = [a for a in args if a != "--float64"]
    models = [p for p in sorted((ROOT / "bench-work/zoo").glob("*.onnx")) if not names or p.stem in names]
    failures = 0
    header = "| model | outputs | max abs error | max rel error | within rtol 1e-4 / atol 1e-5 | max abs output | onnxruntime's own spread |"
    if with_truth:
        header += " whittle vs float64 | onnxruntime vs float64 |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
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
        row = f"| {model.stem} | {len(expected)} | {worst_abs:.2e} | {worst_rel:.2e} | {'yes' if ok else 'NO'} | {magnitude:.3g} | {spread:.2e} |"
        if with_truth:
            try:
                truth = float64_truth(model, feeds)
                row += f" {distance(actual, truth):.2e} | {distance(expected, truth):.2e} |"
            except Exception as failure:  # onnx.reference has its own gaps (e.g. GatherElements)
                row += f" n/a: onnx.reference failed ({type(failure).__name__}) | n/a |"
        print(row, flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
