"""Converting a model with more than 2 GB of external data: peak RSS must stay under 1.5x
(largest tensor + graph), i.e. weights are streamed, not all resident. Builds the model without
holding it in memory (weights written chunk by chunk), converts it with whittle three ways, and
checks the result with the onnx checker.  Usage: python Tools/bench/external_data.py"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

from bench_util import WORK, drop_file, run_measured, table, whittle_binary

N, TENSORS = 8192, 9  # 9 x 256 MiB = 2.25 GiB of weights


def build(folder):
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / "big.onnx"
    data_path = folder / "big.onnx.data"
    if model_path.exists() and data_path.exists():
        return model_path
    rng = np.random.default_rng(0)
    inits, nodes, x = [], [], "x"
    with open(data_path, "wb") as data:
        for i in range(TENSORS):
            offset = data.tell()
            for _ in range(N // 1024):  # 1024 rows at a time: 32 MiB resident at most
                data.write((rng.standard_normal((1024, N), dtype=np.float32) * np.float32(1 / np.sqrt(N))).astype(np.float32).tobytes())
            tensor = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[N, N])
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data_path.name), ("offset", str(offset)), ("length", str(N * N * 4))):
                tensor.external_data.add(key=key, value=value)
            inits.append(tensor)
            nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"y{i}"], name=f"mm{i}"))
            x = f"y{i}"
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, N])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, N])], initializer=inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model_path)
    return model_path


def main():
    folder = WORK / "external"
    model = build(folder)
    data_bytes = (folder / "big.onnx.data").stat().st_size
    largest = N * N * 4
    graph_bytes = model.stat().st_size
    budget = 1.5 * (largest + graph_bytes)
    whittle = whittle_binary()
    rows, results = [], {}
    for label, extra in (("preserve layout", []), ("--external-data", ["--external-data"])):
        out = folder / "converted.onnx"
        drop_file(out)
        seconds, rss = run_measured([whittle, "convert", str(model), "-o", str(out), *extra])
        onnx.checker.check_model(str(out))
        written = os.path.getsize(str(out) + ".data")
        assert written >= data_bytes, "external data shrank"
        results[label] = {"seconds": seconds, "peakRSSBytes": rss}
        rows.append([label, f"{seconds:.2f}", f"{rss / 2**20:.0f}", f"{rss / budget:.3f}"])
        drop_file(out)
    print(f"Model: {TENSORS} x {largest / 2**20:.0f} MiB external tensors ({data_bytes / 2**30:.2f} GiB); budget 1.5 x (largest tensor + graph) = {budget / 2**20:.0f} MiB")
    print(table(["whittle convert", "seconds", "peak RSS MiB", "RSS / budget"], rows))
    (WORK / "external_data.json").write_text(json.dumps({"dataBytes": data_bytes, "budgetBytes": budget, "results": results}, indent=2))
    assert all(r["peakRSSBytes"] < budget for r in results.values()), "peak RSS over budget"


if __name__ == "__main__":
    main()
