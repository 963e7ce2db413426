"""Load + save of a model over 300 MB: `whittle convert` against onnx.load + onnx.save in the same
run, with `cp` as the floor. Prints a markdown table (medians of --runs) and writes
bench-work/load_save.json.  Usage: python Tools/bench/load_save.py [--runs 5]"""
import argparse
import json
import shutil
import subprocess
import sys

from bench_util import WORK, drop_file, median_of, run_measured, table, whittle_binary

PY_LOAD_SAVE = "import onnx,sys; onnx.save(onnx.load(sys.argv[1]), sys.argv[2])"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    model = WORK / "vit_b16.onnx"
    if not model.exists():
        subprocess.run([sys.executable, str(WORK.parent / "Tools/bench/make_vit.py"), str(model)], check=True)
    size = model.stat().st_size
    whittle = whittle_binary()
    out = WORK / "vit_out.onnx"

    def measure(argv):
        def once():
            drop_file(out)
            return run_measured(argv)
        run_measured(argv)  # warm the page cache
        return median_of(args.runs, once)

    results = {
        "cp": measure(["cp", str(model), str(out)]),
        "onnx.load + onnx.save (Python, onnx 1.23.2)": measure([sys.executable, "-c", PY_LOAD_SAVE, str(model), str(out)]),
        "whittle convert": measure([whittle, "convert", str(model), "-o", str(out)]),
    }
    drop_file(out)
    base = results["onnx.load + onnx.save (Python, onnx 1.23.2)"][0]
    rows = [[name, f"{t:.3f}", f"{t / base:.2f}x", f"{rss / 2**20:.0f}"] for name, (t, rss) in results.items()]
    print(f"Model: ViT-B/16-shaped, {size / 2**20:.0f} MiB, {args.runs} runs (median)")
    print(table(["load + save", "seconds", "vs onnx", "peak RSS MiB"], rows))
    (WORK / "load_save.json").write_text(json.dumps({"modelBytes": size, "results": {k: {"seconds": t, "peakRSSBytes": r} for k, (t, r) in results.items()}}, indent=2))


if __name__ == "__main__":
    main()
