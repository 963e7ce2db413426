"""Regenerates the README's usage section from real runs of every subcommand on the bundled
fixtures (so the README never shows output the tool does not produce).
Usage: python3 Tools/update_readme_usage.py   (after `swift build`; uses .build/debug/whittle)"""
import os
import pathlib
import shutil
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
WHITTLE = os.environ.get("WHITTLE", str(ROOT / ".build/debug/whittle"))
START, END = "<!-- usage:start -->", "<!-- usage:end -->"

SECTIONS = [
    ("inspect", "Summary of a model: IR, opsets, inputs/outputs with symbolic dims, op histogram, parameters, MACs (per layer with `--layers`), size. `--json` gives `irVersion`, `opsets`, `inputs`, `outputs`, `nodeCount`, `opCounts`, `parameters`, `macs`, `sizeBytes`.",
     ["inspect", "Fixtures/digits_cnn/model.onnx"]),
    ("check", "Validates structure, types and shapes with Whittle's verifier, plus libonnx's checker where the IR version allows (libonnx-dev is ONNX 1.12: IR <= 8). Exit 0 when valid, 1 with the problems.",
     ["check", "Fixtures/digits_cnn/model.onnx"]),
    ("check (a broken file)", "Malformed models fail with one line naming the file and the node, op or tensor:",
     ["check", "Tests/BadInputs/short_raw_data.onnx"]),
    ("convert", "A lossless re-save (`-o OUT`), or a conversion to external data (`--external-data [--size-threshold BYTES]`, tensors go to `OUT.data`) or back inline (`--inline-data`). Never writes over MODEL.",
     ["convert", "Fixtures/digits_cnn/model.onnx", "-o", "{tmp}/digits.onnx", "--external-data", "--size-threshold", "1024"]),
    ("run", "Runs the reference interpreter on `--input NAME=FILE` (`.pb` or `.npy`) or a data folder (`--inputs DIR`, the ONNX test layout); `--output-dir` writes `output_K.pb`; with expected outputs in the folder, the error against them is shown.",
     ["run", "Fixtures/mlp/model.onnx", "--inputs", "Fixtures/mlp/test_data/test_data_set_0"]),
    ("compare", "Runs two models on the same inputs (`--inputs DIR` or `--random N`): max/mean abs error, cosine similarity, top-1 agreement; `--layerwise` compares intermediate tensors with the same names.",
     ["compare", "Fixtures/opsets/cnn_opset11.onnx", "Fixtures/opsets/cnn_opset21.onnx", "--random", "4"]),
    ("bench", "Times the interpreter (median, p90, peak RSS); random inputs of the declared shapes unless given. `--profile` adds the kernel time per op type; `--memory-cap 4G` bounds what a run may allocate (also on `run`). `--json` gives `medianMs`, `p90Ms`, `peakRSSBytes` (and `profile`).",
     ["bench", "Fixtures/digits_cnn/model.onnx", "--runs", "20", "--profile"]),
    ("passes", "Every pass with its options (`--json` for scripts):",
     ["passes"]),
    ("optimize", "Runs a pipeline (`--pipeline 'cleanup,dead-code{keep-inputs=true}'` or `--recipe FILE.json`), verifies against the original with `--verify` (`--inputs DIR`, else calibration data, else seeded random samples), fails without writing when a `--max-delta METRIC=VALUE` budget is exceeded, and writes JSON/HTML reports.",
     ["optimize", "Fixtures/digits_cnn/model.onnx", "-o", "{tmp}/digits_clean.onnx", "--pipeline", "cleanup", "--verify", "--inputs", "Fixtures/digits_cnn/test_data", "--max-delta", "accuracy=0.005", "--report", "{tmp}/report.json"]),
    ("optimize (static INT8 quantization)", "`quantize` emits QuantizeLinear/DequantizeLinear in the form onnxruntime fuses into its integer kernels: per-channel int8 weights, uint8 activations calibrated on `--calibration DIR`, int32 biases. `quantize{mode=dynamic}` and `quantize{mode=weight-only,weights=int4}` need no data.",
     ["optimize", "Fixtures/digits_cnn/model.onnx", "-o", "{tmp}/digits_int8.onnx", "--pipeline", "cleanup,quantize", "--calibration", "Fixtures/digits_cnn/test_data", "--verify", "--inputs", "Fixtures/digits_cnn/test_data", "--max-delta", "accuracy=0.005"]),
    ("diff", "What changed between two models: nodes added/removed/changed (matched by structure, so renames do not count), attributes, inputs, weights with numeric deltas, interface and metadata, totals. Exit 0 either way.",
     ["diff", "Fixtures/opsets/cnn_opset11.onnx", "Fixtures/opsets/cnn_opset21.onnx"]),
]


def main():
    tmp = tempfile.mkdtemp()
    parts = [START, ""]
    try:
        for title, text, args in SECTIONS:
            argv = [a.replace("{tmp}", tmp) for a in args]
            result = subprocess.run([WHITTLE, *argv], cwd=ROOT, capture_output=True, text=True)
            shown = " ".join(a.replace("{tmp}", "/tmp/out") for a in args)
            output = (result.stdout + result.stderr).replace(tmp, "/tmp/out").rstrip()
            lines = output.splitlines()
            if len(lines) > 40:
                output = "\n".join(lines[:40] + [f"... ({len(lines) - 40} more lines)"])
            parts += [f"### `whittle {title}`", "", text, "", "```console", f"$ whittle {shown}", output]
            if result.returncode != 0:
                parts.append(f"(exit {result.returncode})")
            parts += ["```", ""]
    finally:
        shutil.rmtree(tmp)
    parts.append(END)
    readme = ROOT / "README.md"
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + "\n".join(parts) + tail)


if __name__ == "__main__":
    main()
