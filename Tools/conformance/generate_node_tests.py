"""Generates the ONNX backend node tests from the pinned `onnx` package (the wheel ships the
cases as code, not data) into OUT (default .build/node-tests), in the ONNX test layout:
OUT/<case>/model.onnx and OUT/<case>/test_data_set_K/{input,output}_I.pb, plus manifest.json
with each case's op, tolerances and whether its data is all plain tensors. Sequences (Python
lists) are written as SequenceProto and empty optionals (None) as an empty OptionalProto; the
manifest's "containers" names those files and their kind ("sequence" or "none").
Usage: python Tools/conformance/generate_node_tests.py [OUT]"""
import json
import pathlib
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case import node as node_cases


def to_tensor(value, name):
    if isinstance(value, onnx.TensorProto):
        copy = onnx.TensorProto()
        copy.CopyFrom(value)
        copy.name = name
        return copy
    if isinstance(value, np.ndarray) or np.isscalar(value):
        return numpy_helper.from_array(np.asarray(value), name)
    return None


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".build/node-tests")
    out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    manifest = []
    for case in node_cases.collect_testcases(None):
        folder = out / case.name
        folder.mkdir(exist_ok=True)
        model = case.model
        (folder / "model.onnx").write_bytes(model.SerializeToString())
        plain = True
        containers = {}
        for k, (inputs, outputs) in enumerate(case.data_sets):
            data = folder / f"test_data_set_{k}"
            data.mkdir(exist_ok=True)
            names_in = [i.name for i in model.graph.input]
            names_out = [o.name for o in model.graph.output]
            for kind, values, names in (("input", inputs, names_in), ("output", outputs, names_out)):
                for i, value in enumerate(values):
                    name = names[i] if i < len(names) else f"{kind}_{i}"
                    tensor = to_tensor(value, name)
                    if tensor is None:
                        plain = False
                        if isinstance(value, list):
                            proto = numpy_helper.from_list([np.asarray(v) for v in value], name)
                            containers[f"{kind}_{i}"] = "sequence"
                        elif value is None:
                            proto = onnx.OptionalProto()
                            proto.name = name
                            containers[f"{kind}_{i}"] = "none"
                        else:
                            continue
                        (data / f"{kind}_{i}.pb").write_bytes(proto.SerializeToString())
                        continue
                    (data / f"{kind}_{i}.pb").write_bytes(tensor.SerializeToString())
        ops = sorted({n.op_type for n in model.graph.node})
        manifest.append({
            "name": case.name,
            "op": model.graph.node[0].op_type if len(model.graph.node) == 1 else (case.name[5:] if not ops else ops[0]),
            "domain": model.graph.node[0].domain if model.graph.node else "",
            "rtol": case.rtol,
            "atol": case.atol,
            "dataSets": len(case.data_sets),
            "plainTensors": plain,
            **({"containers": containers} if containers else {}),
        })
    manifest.sort(key=lambda c: c["name"])
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"generated {len(manifest)} node test cases into {out}")


if __name__ == "__main__":
    main()
