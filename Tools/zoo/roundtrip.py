"""Checks that `whittle convert` is lossless on every model in bench-work/zoo: the onnx package
parses original and re-saved files to equal protos (external data compared by values).
Usage (in .venv): python Tools/zoo/roundtrip.py"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
WHITTLE = str(ROOT / ".build/release/whittle")


def main():
    failures = 0
    for model in sorted((ROOT / "bench-work/zoo").glob("*.onnx")):
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / model.name
            subprocess.run([WHITTLE, "convert", str(model), "-o", str(out)], check=True, capture_output=True)
            a, b = onnx.load(str(model), load_external_data=False), onnx.load(str(out), load_external_data=False)
            external = any(t.data_location == onnx.TensorProto.EXTERNAL for t in a.graph.initializer)
            if external:
                # Locations differ by design (OUT.data); compare structure and tensor values.
                same = list(a.graph.node) == list(b.graph.node)
                wa = {t.name: numpy_helper.to_array(t, str(model.parent)) for t in a.graph.initializer}
                same = same and all(np.array_equal(numpy_helper.to_array(t, tmp), wa[t.name]) for t in b.graph.initializer)
            else:
                same = a == b
            print(f"{'ok  ' if same else 'DIFF'} {model.name}")
            failures += 0 if same else 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
