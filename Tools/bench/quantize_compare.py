"""Acceptance benchmark of issue 5: `whittle optimize --pipeline cleanup,quantize` against
onnxruntime's quantizer (`quant_pre_process` + `quantize_static`, QuantFormat.QDQ,
per_channel=True, CalibrationMethod.MinMax, its other defaults) on the same models and the same
calibration data, in the same run. Every output model is checked with `onnx.checker.check_model`
and run in onnxruntime; the markdown table goes to stdout, progress to stderr.

- digits_cnn fixture: top-1 on the 360-sample held-out split (float, ORT int8, ours);
  calibration on 128 samples of the training split (rebuilt from scikit-learn's digits.csv.gz,
  checked against the fixture's held-out inputs).
- transformer fixture: the same data as [1, 8, 8] sequences; static and dynamic (ORT's
  `quantize_dynamic` against `quantize{mode=dynamic}`).
- bert_base (zoo export, random weights): cosine similarity of last_hidden_state to float,
  mean over held-out sequences of seeded random token ids (calibration on other such sequences).
- resnet18: onnxruntime latency at batch 1 (one intra-op thread, interleaved runs, median).
- resnet50: quantize wall time and peak RSS (GNU time) with 128 seeded random images
  (no real images ship with the repository); ORT's figure is `quantize_static` alone, its
  `quant_pre_process` step is timed separately and not counted.

Usage: .venv/bin/python Tools/bench/quantize_compare.py [--zoo DIR] [--work DIR]
(whittle from .build/release, or $WHITTLE)."""
import argparse
import atexit
import gzip
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

from bench_util import ROOT, run_measured, table, whittle_binary


try:
    import sympy  # noqa: F401 - only probed

    HAS_SYMPY = True
except ImportError:
    HAS_SYMPY = False


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data


def write_folder(folder, samples):
    """samples: list of lists of arrays in graph-input order -> DIR/test_data_set_N/input_K.npy."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, arrays in enumerate(samples):
        d = folder / f"test_data_set_{n}"
        d.mkdir(exist_ok=True)
        for k, a in enumerate(arrays):
            np.save(d / f"input_{k}.npy", a)
    return folder


def digits_split():
    """(train_x, train_y, test_x, test_y) of train_test_split(test_size=0.2, random_state=0),
    images scaled to [0, 1]. ShuffleSplit's permutation is reproduced without scikit-learn."""
    fixture = ROOT / "Fixtures/digits_cnn/test_data"
    test_x = np.stack([onnx.numpy_helper.to_array(onnx.load_tensor(str(fixture / f"test_data_set_{i}/input_0.pb"))) for i in range(360)])
    test_y = np.load(fixture / "labels.npy").reshape(-1)
    candidates = [pathlib.Path(p) for p in sys.path] + sorted(ROOT.parent.glob("*/.venv-fixtures/lib/python*/site-packages"))
    candidates += sorted(ROOT.glob(".venv-fixtures/lib/python*/site-packages"))
    for site in candidates:
        csv = site / "sklearn/datasets/data/digits.csv.gz"
        if csv.exists():
            data = np.loadtxt(gzip.open(csv), delimiter=",")
            x, y = (data[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8), data[:, 64].astype(np.int64)
            permutation = np.random.RandomState(0).permutation(len(x))
            test, train = permutation[:360], permutation[360:]
            if np.array_equal(x[test], test_x.reshape(-1, 1, 8, 8)) and np.array_equal(y[test], test_y):
                return x[train], y[train], test_x.reshape(-1, 1, 8, 8), test_y, "128 training-split images"
            log(f"{csv}: split does not reproduce the fixture's held-out inputs; ignoring it")
    log("digits training split not found: calibrating on the first 128 held-out images")
    return test_x[:128].reshape(-1, 1, 8, 8), test_y[:128], test_x.reshape(-1, 1, 8, 8), test_y, "128 held-out images (no training split found)"


def bert_tokens(rng, count, seq):
    """Seeded random token ids framed like real inputs ([CLS] ... [SEP]) and an all-ones mask."""
    ids = rng.integers(1000, 30000, (count, 1, seq)).astype(np.int64)
    ids[:, :, 0], ids[:, :, -1] = 101, 102
    return [[i, np.ones_like(i)] for i in ids]


# ---------------------------------------------------------------- quantizers


class Reader:
    """onnxruntime CalibrationDataReader over a data folder written by write_folder."""

    def __init__(self, model, folder):
        names = [i.name for i in ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).get_inputs()]
        sets = sorted(pathlib.Path(folder).glob("test_data_set_*"), key=lambda p: int(p.name.rsplit("_", 1)[1]))
        self.feeds = iter([{n: np.load(s / f"input_{k}.npy") for k, n in enumerate(names)} for s in sets])

    def get_next(self):
        return next(self.feeds, None)


SKIPPED_SYMBOLIC = set()


def ort_pre_process(model, out):
    from onnxruntime.quantization.shape_inference import quant_pre_process

    start = time.perf_counter()
    model, out = pathlib.Path(model).resolve(), pathlib.Path(out).resolve()
    # A failed attempt leaves onnxruntime's external-data temporaries (435 MB for BERT) in the
    # working directory, so it runs in a scratch one.
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            # Symbolic shape inference needs sympy; without it onnxruntime asks for skip_symbolic_shape
            # (ONNX shape inference and the graph optimization still run).
            try:
                quant_pre_process(str(model), str(out), skip_symbolic_shape=not HAS_SYMPY)
            except Exception as error:  # onnxruntime's symbolic inference gives up on some exports (BERT's Min(512, seq))
                log(f"{model.name}: quant_pre_process symbolic shape inference failed ({error}); retrying without it")
                SKIPPED_SYMBOLIC.add(model.name)
                quant_pre_process(str(model), str(out), skip_symbolic_shape=True)
        finally:
            os.chdir(here)
    return time.perf_counter() - start


def ort_static(pre, out, folder, activation_type=None):
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    reader = type("R", (Reader, CalibrationDataReader), {})(pre, folder)
    extra = {"activation_type": getattr(QuantType, activation_type)} if activation_type else {}
    quantize_static(str(pre), str(out), reader, quant_format=QuantFormat.QDQ, per_channel=True, calibrate_method=CalibrationMethod.MinMax, **extra)


def ort_dynamic(model, out):
    from onnxruntime.quantization import quantize_dynamic

    quantize_dynamic(str(model), str(out))


def whittle(model, out, pipeline, folder=None, report=None):
    argv = [whittle_binary(), "optimize", str(model), "-o", str(out), "--pipeline", pipeline]
    if folder:
        argv += ["--calibration", str(folder)]
    if report:
        argv += ["--report", str(report)]
    subprocess.run(argv, check=True, capture_output=True)


# ---------------------------------------------------------------- checks


CHECKS = []


def checked(path):
    """onnx.checker plus an onnxruntime session; records the verdict for the last table."""
    try:
        onnx.checker.check_model(str(path))
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        CHECKS.append((path.name, "yes"))
        return session
    except Exception as error:  # noqa: BLE001 - recorded as a failure in the table
        CHECKS.append((path.name, f"NO: {type(error).__name__}: {str(error)[:100]}"))
        return None


def logits_of(session, xs):
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: xs[i : i + 60]})[0] for i in range(0, len(xs), 60)])


def top1(session, xs, ys, reference=None):
    """Top-1 accuracy; with float logits as `reference`, also their mean cosine similarity (finer
    than accuracy on 360 samples)."""
    if session is None:
        return float("nan"), ""
    logits = logits_of(session, xs)
    accuracy = float((logits.argmax(1) == ys).mean())
    if reference is None:
        return accuracy, ""
    cos = (logits * reference).sum(1) / (np.linalg.norm(logits, axis=1) * np.linalg.norm(reference, axis=1) + 1e-30)
    return accuracy, f" (logits cosine {cos.mean():.5f})"


def cosines(session, reference, samples, channels=None):
    """Cosine similarity per sample of the first output to `reference`; `channels` restricts
    the last axis (the outlier-free hidden channels, which the outliers would otherwise drown)."""
    if session is None:
        return [float("nan")]
    names = [i.name for i in session.get_inputs()]
    out = []
    for arrays, ref in zip(samples, reference):
        y, r = session.run(None, dict(zip(names, arrays)))[0], ref
        if channels is not None:
            y, r = y[..., channels], r[..., channels]
        y, r = y.reshape(-1).astype(np.float64), r.reshape(-1).astype(np.float64)
        out.append(float(y @ r / (np.linalg.norm(y) * np.linalg.norm(r) + 1e-30)))
    return out


def pct(x):
    return "n/a" if x != x else f"{100 * x:.2f} %"


# ---------------------------------------------------------------- sections


def section_digits(work, rows):
    train_x, _, test_x, test_y, calib_note = digits_split()
    calib = write_folder(work / "digits_calib", [[x[None]] for x in train_x[:128]])
    for fixture, shape in (("digits_cnn", (1, 8, 8)), ("transformer", (8, 8))):
        model = ROOT / f"Fixtures/{fixture}/model.onnx"
        folder = calib if fixture == "digits_cnn" else write_folder(work / "seq_calib", [[x.reshape(1, *shape)] for x in train_x[:128]])
        xs = test_x.reshape(-1, *shape)
        log(f"{fixture}: quantizing")
        ort_pre_process(model, work / f"{fixture}_pre.onnx")
        ort_static(work / f"{fixture}_pre.onnx", work / f"{fixture}_ort.onnx", folder)
        whittle(model, work / f"{fixture}_ours.onnx", "cleanup,quantize", folder, work / f"{fixture}_report.json")
        float_session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        reference = logits_of(float_session, xs)
        float_acc, _ = top1(float_session, xs, test_y)
        ort_acc, ort_cos = top1(checked(work / f"{fixture}_ort.onnx"), xs, test_y, reference)
        ours_acc, ours_cos = top1(checked(work / f"{fixture}_ours.onnx"), xs, test_y, reference)
        rows.append((f"{fixture} top-1, static ({calib_note}; 360 held-out)", pct(float_acc), pct(ort_acc) + ort_cos, pct(ours_acc) + ours_cos,
                     verdict(ours_acc >= ort_acc and (fixture != "digits_cnn" or ours_acc >= float_acc - 0.005))))
        if fixture == "transformer":
            ort_dynamic(model, work / "transformer_ort_dyn.onnx")
            whittle(model, work / "transformer_ours_dyn.onnx", "cleanup,quantize{mode=dynamic}")
            ort_acc, ort_cos = top1(checked(work / "transformer_ort_dyn.onnx"), xs, test_y, reference)
            ours_acc, ours_cos = top1(checked(work / "transformer_ours_dyn.onnx"), xs, test_y, reference)
            rows.append(("transformer top-1, dynamic (onnxruntime: quantize_dynamic)", pct(float_acc), pct(ort_acc) + ort_cos,
                         pct(ours_acc) + ours_cos, verdict(ours_acc >= ort_acc)))


OUTLIER_CHANNELS = (308, 381)


def with_outlier_channels(model, out, channels=OUTLIER_CHANNELS, factor=30.0):
    """bert_base with pretrained-like outliers: every LayerNormalization's scale and bias
    multiplied by `factor` in two of the 768 hidden channels, which is how trained BERTs carry a
    few residual-stream dimensions tens of times larger than the rest (the random export has
    none). The float model stays the reference; only the activation statistics change."""
    m = onnx.load(str(model))
    inits = {t.name: t for t in m.graph.initializer}
    # The export deduplicates equal parameters behind Identity nodes: follow them, scale once.
    identity = {n.output[0]: n.input[0] for n in m.graph.node if n.op_type == "Identity"}
    done = set()
    for node in m.graph.node:
        if node.op_type != "LayerNormalization":
            continue
        for name in node.input[1:3]:
            while name in identity:
                name = identity[name]
            if name in done:
                continue
            done.add(name)
            t = inits[name]
            a = onnx.numpy_helper.to_array(t).copy()
            a[list(channels)] *= factor
            t.CopyFrom(onnx.numpy_helper.from_array(a, name))
    onnx.save(m, str(out))
    return out


def section_bert(work, zoo, rows, choices, outliers=False):
    model = zoo / "bert_base.onnx"
    if not model.exists():
        rows.append(("bert_base cosine", "missing", "", "", f"{model} not found"))
        return
    tag = "bert_outliers" if outliers else "bert"
    if outliers:
        model = with_outlier_channels(model, work / "bert_outliers_float.onnx")
    rng = np.random.default_rng(1)
    calib = write_folder(work / "bert_calib", bert_tokens(rng, 8, 128))
    held_out = bert_tokens(rng, 4, 128)
    log(f"{tag}: quantizing (onnxruntime)")
    ort_pre_process(model, work / f"{tag}_pre.onnx")
    ort_static(work / f"{tag}_pre.onnx", work / f"{tag}_ort.onnx", calib)
    log(f"{tag}: quantizing (whittle)")
    whittle(model, work / f"{tag}_ours.onnx", "cleanup,quantize", calib, work / f"{tag}_report.json")
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    reference = [session.run(None, dict(zip(names, s)))[0] for s in held_out]
    theirs = cosines(checked(work / f"{tag}_ort.onnx"), reference, held_out)
    ours = cosines(checked(work / f"{tag}_ours.onnx"), reference, held_out)
    label = "bert_base" + (" with outlier channels (LayerNorm x30 in 2 of 768 channels)" if outliers else " (random weights)")
    rows.append((f"{label}: last_hidden_state cosine to float (4 held-out seq 128; calib 8)", "1",
                 f"{np.mean(theirs):.4f} (min {min(theirs):.4f})", f"{np.mean(ours):.4f} (min {min(ours):.4f})", verdict(min(ours) >= 0.98)))
    if not outliers:
        med = latencies({"float": model, "ort": work / f"{tag}_ort.onnx", "ours": work / f"{tag}_ours.onnx"}, dict(zip(names, held_out[0])), runs=8)
        rows.append(("bert_base ORT latency, batch 1, seq 128, 1 thread (median of 8, ms; no bar)", f"{med['float']:.0f}", f"{med['ort']:.0f}",
                     f"{med['ours']:.0f} ({med['ours'] / med['ort']:.2f}x ORT's)", ""))
    if outliers:
        rest = [c for c in range(reference[0].shape[-1]) if c not in OUTLIER_CHANNELS]
        theirs = cosines(ort.InferenceSession(str(work / f"{tag}_ort.onnx"), providers=["CPUExecutionProvider"]), reference, held_out, rest)
        ours = cosines(ort.InferenceSession(str(work / f"{tag}_ours.onnx"), providers=["CPUExecutionProvider"]), reference, held_out, rest)
        rows.append((f"{label}: the same, over the 766 other channels", "1", f"{np.mean(theirs):.4f} (min {min(theirs):.4f})",
                     f"{np.mean(ours):.4f} (min {min(ours):.4f})", verdict(min(ours) >= 0.98)))
    report = json.loads((work / f"{tag}_report.json").read_text())
    for p in report.get("passes", []):
        if p.get("pass") == "quantize":
            kept = [s["candidate"] for s in p.get("skipped", []) if "auto-float" in s["reason"]]
            smoothed = [c for c in p.get("changes", []) if c.startswith("smoothed ")]
            choices.append(f"{label}: kept {len(kept)} nodes in float (auto-float: residual/bias/GELU arithmetic, attention MatMuls); "
                           f"SmoothQuant on {len(smoothed)} MatMul inputs" + (f", e.g. {smoothed[0]}" if smoothed else ""))


def latencies(paths, feeds, runs=40):
    """Median onnxruntime latency (ms) per model, one intra-op thread, runs interleaved so a noisy
    neighbour slows every model alike."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sessions = {k: ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"]) for k, p in paths.items()}
    times = {k: [] for k in sessions}
    for _ in range(2):
        for s in sessions.values():
            s.run(None, feeds)
    for _ in range(runs):
        for k, s in sessions.items():
            start = time.perf_counter()
            s.run(None, feeds)
            times[k].append(time.perf_counter() - start)
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def section_latency(work, zoo, rows):
    model = zoo / "resnet18.onnx"
    if not model.exists():
        rows.append(("resnet18 latency", "missing", "", "", ""))
        return
    rng = np.random.default_rng(2)
    calib = write_folder(work / "r18_calib", [[rng.standard_normal((1, 3, 224, 224)).astype(np.float32)] for _ in range(16)])
    log("resnet18: quantizing")
    ort_pre_process(model, work / "r18_pre.onnx")
    ort_static(work / "r18_pre.onnx", work / "r18_ort.onnx", calib)
    whittle(model, work / "r18_ours.onnx", "cleanup,quantize", calib)
    # onnxruntime's default int8 activations take a slower path than uint8 on CPUs without
    # VNNI; its uint8 variant is timed too, so the comparison does not rest on that default.
    ort_static(work / "r18_pre.onnx", work / "r18_ort_u8.onnx", calib, activation_type="QUInt8")
    paths = {"float": model, "ort": work / "r18_ort.onnx", "ort_u8": work / "r18_ort_u8.onnx", "ours": work / "r18_ours.onnx"}
    for key, path in paths.items():
        if key != "float" and checked(path) is None:
            rows.append(("resnet18 latency", "", "", "", f"{path.name} does not run"))
            return
    sessions = {k: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for k, p in paths.items()}
    x = {sessions["float"].get_inputs()[0].name: rng.standard_normal((1, 3, 224, 224)).astype(np.float32)}
    med = latencies(paths, x)
    # Fast is only worth something if right: output cosine to float on 4 random images.
    probes = [{name: rng.standard_normal((1, 3, 224, 224)).astype(np.float32) for name in x} for _ in range(4)]
    ref = [sessions["float"].run(None, p)[0] for p in probes]
    cos = {k: np.mean(cosines(sessions[k], ref, [[p[n] for n in p] for p in probes])) for k in ("ort", "ours")}
    rows.append(("resnet18 output cosine to float (4 random images)", "1", f"{cos['ort']:.4f}", f"{cos['ours']:.4f}", ""))
    rows.append(("resnet18 ORT latency, batch 1, 1 thread (median of 40, ms)", f"{med['float']:.2f}", f"{med['ort']:.2f}",
                 f"{med['ours']:.2f} ({med['ours'] / med['ort']:.2f}x ORT's)", verdict(med["ours"] <= 1.05 * med["ort"] and med["ours"] < med["float"])))
    rows.append(("resnet18 ORT latency, the same, onnxruntime with activation_type=QUInt8 (no bar)", f"{med['float']:.2f}", f"{med['ort_u8']:.2f}",
                 f"{med['ours']:.2f} ({med['ours'] / med['ort_u8']:.2f}x)", ""))


COST_ROUNDS = 3


def section_cost(work, zoo, rows):
    model = zoo / "resnet50.onnx"
    if not model.exists():
        rows.append(("resnet50 quantize cost", "missing", "", "", ""))
        return
    rng = np.random.default_rng(3)
    calib = write_folder(work / "r50_calib", [[rng.standard_normal((1, 3, 224, 224)).astype(np.float32)] for _ in range(128)])
    pre_seconds = ort_pre_process(model, work / "r50_pre.onnx")
    # This machine's speed drifts over tens of seconds, so the two tools run back to back in
    # rounds and the ratio is the median of the rounds' ratios.
    ort_runs, our_runs = [], []
    for round in range(COST_ROUNDS):
        log(f"resnet50: quantize_static (round {round + 1} of {COST_ROUNDS})")
        ort_runs.append(run_measured([sys.executable, __file__, "--ort-static", work / "r50_pre.onnx", work / "r50_ort.onnx", calib]))
        log(f"resnet50: whittle (round {round + 1} of {COST_ROUNDS})")
        our_runs.append(run_measured([whittle_binary(), "optimize", model, "-o", work / "r50_ours.onnx", "--pipeline", "cleanup,quantize", "--calibration", calib]))
    checked(work / "r50_ort.onnx")
    checked(work / "r50_ours.onnx")
    ratios = sorted(o[0] / t[0] for o, t in zip(our_runs, ort_runs))
    ratio = statistics.median(ratios)
    ort_seconds, ours_seconds = statistics.median(r[0] for r in ort_runs), statistics.median(r[0] for r in our_runs)
    ort_rss, ours_rss = max(r[1] for r in ort_runs), max(r[1] for r in our_runs)
    rows.append((f"resnet50 quantize wall time, 128 random images (s; median of {COST_ROUNDS} back-to-back rounds)", "",
                 f"{ort_seconds:.1f} (+{pre_seconds:.1f} pre-process)",
                 f"{ours_seconds:.1f} ({ratio:.2f}x; rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)", verdict(ratio <= 0.5)))
    rows.append(("resnet50 quantize peak RSS (MB)", "", f"{ort_rss / 2**20:.0f}", f"{ours_rss / 2**20:.0f}", verdict(ours_rss < ort_rss)))


def verdict(ok):
    return "yes" if ok else "**no**"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo", type=pathlib.Path, default=ROOT / "bench-work/zoo")
    parser.add_argument("--work", type=pathlib.Path, default=ROOT / "bench-work/quantize")
    parser.add_argument("--only", nargs="*", default=["digits", "bert", "bert-outliers", "latency", "cost"])
    parser.add_argument("--ort-static", nargs=3, metavar=("PRE", "OUT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    # onnxruntime's quantization tools leave temporaries (sym_shape_infer_temp.onnx, external
    # data under uuid names) in the working directory: run from a scratch one.
    args.zoo, args.work = args.zoo.resolve(), args.work.resolve()
    scratch = tempfile.mkdtemp(prefix="quantize-compare-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.chdir(scratch)
    if args.ort_static:
        ort_static(*map(pathlib.Path, args.ort_static))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    rows, choices = [], []
    start = time.perf_counter()
    sections = {"digits": lambda: section_digits(args.work, rows), "bert": lambda: section_bert(args.work, args.zoo, rows, choices),
                "bert-outliers": lambda: section_bert(args.work, args.zoo, rows, choices, outliers=True),
                "latency": lambda: section_latency(args.work, args.zoo, rows), "cost": lambda: section_cost(args.work, args.zoo, rows)}
    for name in args.only:
        sections[name]()
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, whittle {whittle_binary()}; {time.perf_counter() - start:.0f} s"
          + ("" if HAS_SYMPY else "; quant_pre_process with skip_symbolic_shape=True (no sympy in this venv)")
          + (f"; quant_pre_process without symbolic shape inference for {', '.join(sorted(SKIPPED_SYMBOLIC))} (it fails there)" if SKIPPED_SYMBOLIC else "")
          + "\n")
    print(table(["measure", "float", "onnxruntime quantize_static", "whittle", "bar holds"], rows))
    print()
    print(table(["output", "onnx checker + runs in onnxruntime"], CHECKS))
    if choices:
        print("\nwhittle's own choices (from its --report):\n")
        print("\n".join(f"- {c}" for c in choices))


if __name__ == "__main__":
    main()
