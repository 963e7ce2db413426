"""Writes the bad-input corpus Tests/BadInputs/: malformed ONNX files that Whittle must reject
with a one-line error, plus expected.json (what each error message must mention) and a README.

Needs only numpy and onnx (any venv: .venv, .venv-fixtures). Deterministic: the same bytes on
every run.
Usage: python3 Tools/make_bad_inputs.py [--out Tests/BadInputs]
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
F = TensorProto.FLOAT


def model_with(nodes, inputs, outputs, initializers=(), name="bad"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="whittle-bad-inputs")
    model.ir_version = 8
    return model


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def raw_tensor(name, dims, raw, data_type=F):
    """A TensorProto built field by field (no validation), raw_data as given."""
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def external_tensor(name, dims, location, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = F
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(length if length is not None else 4 * int(np.prod(dims))))):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return t


def uses_initializer(tensor, dims):
    """x + tensor -> y, so the bad tensor is read by node `consumer`."""
    return model_with(
        [helper.make_node("Add", ["x", tensor.name], ["y"], name="consumer")],
        [vi("x", dims)],
        [vi("y", dims)],
        [tensor],
    )


def build(out):
    files = {}  # name -> (bytes or model or callable, substrings, description)
    rng = np.random.default_rng(1234)

    # truncated.onnx: a valid model cut in the middle of an initializer's raw_data.
    weights = rng.standard_normal((32, 32)).astype(np.float32)
    valid = model_with(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="matmul")],
        [vi("x", [1, 32])],
        [vi("y", [1, 32])],
        [numpy_helper.from_array(weights, "W")],
    )
    onnx.checker.check_model(valid, full_check=True)
    data = valid.SerializeToString()
    raw = weights.tobytes()
    start = data.index(raw)
    files["truncated.onnx"] = (
        data[: start + len(raw) // 2],
        ["parse"],
        "A valid model's bytes cut in the middle of initializer W's raw_data: the protobuf does not parse.",
    )

    files["random_bytes.onnx"] = (
        np.random.default_rng(0).bytes(4096),
        ["parse"],
        "4096 seeded random bytes (numpy default_rng(0)): not a protobuf.",
    )

    files["empty.onnx"] = (b"", ["empty"], "A 0-byte file (which protobuf would read as an empty ModelProto).")

    files["short_raw_data.onnx"] = (
        uses_initializer(raw_tensor("W_short", [4, 4], np.ones(5, np.float32).tobytes()), [4, 4]),
        ["w_short", "raw_data"],
        "Initializer W_short declares float [4, 4] (64 bytes) but its raw_data holds 20 bytes.",
    )

    huge = raw_tensor("W_huge", [2**21, 2**21], np.ones(4, np.float32).tobytes())
    files["absurd_dim.onnx"] = (
        model_with(
            [
                helper.make_node("Relu", ["x"], ["y"], name="relu"),
                helper.make_node("Identity", ["W_huge"], ["w"], name="read_huge"),
            ],
            # An absurd dim on a graph input is legal (nothing is allocated); only the tensor is bad.
            [vi("x", [2**40])],
            [vi("y", [2**40]), vi("w", [2**21, 2**21])],
            [huge],
        ),
        ["w_huge"],
        "Initializer W_huge has dims [2^21, 2^21] (2^42 elements) and 16 bytes of raw_data. The graph "
        "input x has dim 2^40, which is legal: the error must name W_huge, not x.",
    )

    files["cycle.onnx"] = (
        model_with(
            [
                helper.make_node("Add", ["x", "b_out"], ["a_out"], name="a"),
                helper.make_node("Relu", ["a_out"], ["b_out"], name="b"),
            ],
            [vi("x", [4])],
            [vi("a_out", [4])],
        ),
        ["cycle"],
        "Nodes a (Add) and b (Relu) feed each other: a reads b_out, b reads a_out.",
    )

    files["undefined_input.onnx"] = (
        model_with(
            [
                helper.make_node("Relu", ["x"], ["r"], name="relu"),
                helper.make_node("Add", ["r", "ghost"], ["y"], name="reader"),
            ],
            [vi("x", [4])],
            [vi("y", [4])],
        ),
        ["reader", "ghost"],
        "Node reader consumes value ghost, which no node, input or initializer defines.",
    )

    files["missing_external.onnx"] = (
        uses_initializer(external_tensor("W_ext", [4], "missing.bin"), [4]),
        ["w_ext", "missing.bin"],
        "Initializer W_ext is stored externally in missing.bin, which does not exist.",
    )

    files["escaping_external.onnx"] = (
        uses_initializer(external_tensor("W_escape", [4], "../../etc/passwd"), [4]),
        ["w_escape", "outside"],
        "Initializer W_escape's external location ../../etc/passwd escapes the model's folder.",
    )

    files["absolute_external.onnx"] = (
        uses_initializer(external_tensor("W_abs", [4], "/etc/passwd"), [4]),
        ["w_abs", "absolute"],
        "Initializer W_abs's external location is the absolute path /etc/passwd.",
    )

    files["symlink_external/model.onnx"] = (
        uses_initializer(external_tensor("W_link", [4], "weights.bin"), [4]),
        ["w_link", "symlink"],
        "Initializer W_link's external file weights.bin is a symbolic link (to /etc/hostname); "
        "external data must be a regular file inside the model's folder.",
    )

    files["unknown_dtype.onnx"] = (
        uses_initializer(raw_tensor("W_bad_type", [4], np.ones(4, np.float32).tobytes(), data_type=99), [4]),
        ["w_bad_type", "99"],
        "Initializer W_bad_type has data_type 99, which no ONNX version defines.",
    )

    seg = raw_tensor("W_segment", [4], np.ones(4, np.float32).tobytes())
    seg.segment.begin = 0
    seg.segment.end = 4
    files["segment.onnx"] = (
        uses_initializer(seg, [4]),
        ["w_segment", "segment"],
        "Initializer W_segment sets TensorProto.segment (chunked tensors), which Whittle does not support.",
    )

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    expected = {}
    for name, (content, substrings, description) in sorted(files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, onnx.ModelProto):
            content = content.SerializeToString()
        path.write_bytes(content)
        assert all(s == s.lower() for s in substrings), substrings
        expected[name] = {"substrings": substrings, "description": description}
    os.symlink("/etc/hostname", out / "symlink_external" / "weights.bin")

    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    (out / "README.md").write_text(README)
    return expected


README = """# Bad-input corpus

Malformed ONNX files that every entry point (`whittle inspect`, `check`, `run`, `convert`,
`optimize`, the library's loader) must reject with exit status 1 and a one-line error, never a
crash, a hang or a huge allocation. Generated by `Tools/make_bad_inputs.py` (numpy + onnx only;
do not edit by hand: change the script and re-run it).

`expected.json` maps each file (path relative to this folder) to
`{"substrings": [...], "description": "..."}`. A good error message contains **every** substring
in `substrings`; matching is **case-insensitive** (the substrings are written in lower case, so
`W_short` in a message matches `w_short`). The description says what is wrong.

`symlink_external/weights.bin` is a symbolic link to `/etc/hostname` (git stores it as a link):
the loader must refuse external data that is a symlink, before following it.
`absurd_dim.onnx` also has a graph input with a dim of 2^40, which is legal: the error must be
about the initializer `W_huge` only.
"""


def report(out, expected):
    """What the pinned onnx package says about each file (informational)."""
    for name in sorted(expected):
        path = out / name
        try:
            model = onnx.load(str(path))
            onnx.checker.check_model(model, full_check=True)
            message = "ACCEPTED by onnx (!)"
        except Exception as error:  # noqa: BLE001 - we want the message
            message = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:110]}"
        print(f"{name:32} {path.stat().st_size if not path.is_symlink() else 0:6}  {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "Tests" / "BadInputs"))
    args = parser.parse_args()
    out = Path(args.out).resolve()
    expected = build(out)
    report(out, expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
