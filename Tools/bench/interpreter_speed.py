"""Interpreter speed and memory against onnxruntime (default session options) and
onnx.reference.ReferenceEvaluator, in the same run: batch 1, fp32, 1 and 2 threads.
Whittle is timed by `whittle bench --json` (median of --runs after warm-up) and onnxruntime in a
child process with the same run counts, back to back for --rounds rounds; the latency ratio is the
median of the rounds' ratios; peak RSS of each in its own process (GNU time).
Usage (in .venv, after a release build): python Tools/bench/interpreter_speed.py [--runs 20] [MODEL ...]"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from onnx import numpy_helper

from bench_util import ROOT, WORK, run_measured, table, whittle_binary

DEFAULT = ["resnet18", "mobilenet_v2", "efficientnet_b0", "bert_base"]
ORT_SCRIPT = """
import sys, time, statistics, numpy as np, onnxruntime as ort
from onnx import numpy_helper
path, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
feeds = {name: numpy_helper.to_array(__import__("onnx").load_tensor(f)) for name, f in zip(sys.argv[4::2], sys.argv[5::2])}
for _ in range(3): s.run(None, feeds)
t = []
for _ in range(runs):
    a = time.perf_counter(); s.run(None, feeds); t.append((time.perf_counter() - a) * 1000)
print(statistics.median(t))
"""


def make_inputs(model, folder):
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    pairs = []
    for k, i in enumerate(session.get_inputs()):
        shape = [d if isinstance(d, int) else (128 if "seq" in str(d) else 1) for d in i.shape]
        if "int64" in i.type:
            value = np.ones(shape, np.int64) if "mask" in i.name else rng.integers(0, 30000, shape).astype(np.int64)
        else:
            value = rng.standard_normal(shape).astype(np.float32)
        path = folder / f"{model.stem}_in{k}.pb"
        path.write_bytes(numpy_helper.from_array(value, i.name).SerializeToString())
        pairs.append((i.name, path))
    return pairs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="back-to-back rounds of both tools; ratios are their median")
    parser.add_argument("--reference", action="store_true", help="also time onnx.reference on ResNet-18 (slow)")
    parser.add_argument("models", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    whittle = whittle_binary()
    folder = WORK / "speed"
    folder.mkdir(parents=True, exist_ok=True)
    rows, results = [], {}
    for name in args.models:
        model = ROOT / "bench-work/zoo" / f"{name}.onnx"
        if not model.exists():
            print(f"skip {name}: run Tools/zoo/export_zoo.py first", file=sys.stderr)
            continue
        pairs = make_inputs(model, folder)
        for threads in (1, 2):
            cmd = [whittle, "bench", str(model), "--threads", str(threads), "--runs", str(args.runs), "--json"]
            for n, p in pairs:
                cmd += ["--input", f"{n}={p}"]
            ort_cmd = [sys.executable, "-c", ORT_SCRIPT, str(model), str(threads), str(args.runs)] + [str(x) for pair in pairs for x in pair]
            # This machine's speed drifts over seconds (a shared VM), so each round times both
            # tools back to back and the ratio is the median of the rounds' ratios.
            w_times, o_times = [], []
            for _ in range(args.rounds):
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(f"{name}: whittle failed: {out.stderr.strip()}")
                w_times.append(json.loads(out.stdout)["medianMs"])
                o_times.append(float(subprocess.run(ort_cmd, capture_output=True, text=True, check=True).stdout))
            ratios = sorted(w / o for w, o in zip(w_times, o_times))
            w_ms, ort_ms, ratio = statistics.median(w_times), statistics.median(o_times), statistics.median(ratios)
            _, w_rss = run_measured(cmd)
            _, o_rss = run_measured(ort_cmd)
            results[f"{name}/{threads}"] = {
                "whittleMs": w_ms, "ortMs": ort_ms, "ratio": ratio, "ratioRange": [ratios[0], ratios[-1]],
                "whittleRSS": w_rss, "ortRSS": o_rss}
            rows.append([
                name, threads, f"{w_ms:.2f}", f"{ort_ms:.2f}", f"{ratio:.2f}x", f"{ratios[0]:.2f}-{ratios[-1]:.2f}x",
                f"{w_rss / 2**20:.0f}", f"{o_rss / 2**20:.0f}", f"{w_rss / o_rss:.2f}x"])
    print(table(["model", "threads", "whittle ms", "onnxruntime ms", "latency ratio", "ratio range", "whittle RSS MiB", "ORT RSS MiB", "RSS ratio"], rows))
    if args.reference:
        from onnx.reference import ReferenceEvaluator
        model = ROOT / "bench-work/zoo/resnet18.onnx"
        ref = ReferenceEvaluator(str(model))
        x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
        a = time.perf_counter()
        ref.run(None, {"input": x})
        ref_ms = (time.perf_counter() - a) * 1000
        w_ms = results.get("resnet18/1", {}).get("whittleMs")
        print(f"onnx.reference ResNet-18: {ref_ms:.0f} ms" + (f"; whittle is {ref_ms / w_ms:.0f}x faster" if w_ms else ""))
        results["reference/resnet18"] = {"referenceMs": ref_ms}
    (WORK / "interpreter_speed.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
