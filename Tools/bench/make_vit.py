"""Builds a ViT-B/16-shaped ONNX model (86 M float32 parameters, ~330 MB) with seeded random
weights, using onnx.helper only (no PyTorch): the same graph structure a ViT-B/16 export has
(patch Conv, 12 pre-norm encoder blocks with multi-head attention and Erf-GELU MLPs, class head).
Usage: python Tools/bench/make_vit.py OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

D, HEADS, MLP, LAYERS, PATCH, IMAGE, CLASSES = 768, 12, 3072, 12, 16, 224, 1000
TOKENS = (IMAGE // PATCH) ** 2 + 1


def build(path):
    rng = np.random.default_rng(0)
    inits, nodes = [], []

    def weight(name, *shape, scale=0.02):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape, dtype=np.float32) * scale), name))
        return name

    def const(name, values, dtype=np.int64):
        inits.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def layer_norm(x, prefix):
        return node("LayerNormalization", [x, weight(f"{prefix}.g", D, scale=1.0), weight(f"{prefix}.b", D)], f"{prefix}.out", axis=-1, epsilon=1e-6)

    def linear(x, prefix, fan_in, fan_out):
        y = node("MatMul", [x, weight(f"{prefix}.w", fan_in, fan_out)], f"{prefix}.mm")
        return node("Add", [y, weight(f"{prefix}.bias", fan_out)], f"{prefix}.out")

    x = node("Conv", ["pixels", weight("patch.w", D, 3, PATCH, PATCH), weight("patch.b", D)], "patch", kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    x = node("Reshape", [x, const("shape.flat", [0, D, -1])], "patch.flat")
    x = node("Transpose", [x], "patch.tokens", perm=[0, 2, 1])
    cls = node("Expand", [weight("cls", 1, 1, D), const("shape.cls", [1, 1, D])], "cls.expand")
    x = node("Concat", [cls, x], "tokens", axis=1)
    x = node("Add", [x, weight("pos", 1, TOKENS, D)], "tokens.pos")
    head_shape = const("shape.heads", [0, -1, HEADS, D // HEADS])
    merge_shape = const("shape.merge", [0, -1, D])
    scale = const("attn.scale", np.float32((D // HEADS) ** -0.5), np.float32)
    for i in range(LAYERS):
        p = f"layer{i}"
        h = layer_norm(x, f"{p}.ln1")
        qkv = []
        for part in "qkv":
            t = linear(h, f"{p}.{part}", D, D)
            t = node("Reshape", [t, head_shape], f"{p}.{part}.heads")
            qkv.append(node("Transpose", [t], f"{p}.{part}.t", perm=[0, 2, 3, 1] if part == "k" else [0, 2, 1, 3]))
        s = node("MatMul", [qkv[0], qkv[1]], f"{p}.scores")
        s = node("Mul", [s, scale], f"{p}.scaled")
        a = node("Softmax", [s], f"{p}.attn", axis=-1)
        o = node("MatMul", [a, qkv[2]], f"{p}.ctx")
        o = node("Transpose", [o], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        o = node("Reshape", [o, merge_shape], f"{p}.ctx.merge")
        x = node("Add", [x, linear(o, f"{p}.proj", D, D)], f"{p}.res1")
        h = layer_norm(x, f"{p}.ln2")
        h = linear(h, f"{p}.fc1", D, MLP)
        g = node("Div", [h, const("sqrt2", np.float32(np.sqrt(2)), np.float32) if i == 0 else "sqrt2"], f"{p}.gelu.div")
        g = node("Erf", [g], f"{p}.gelu.erf")
        g = node("Add", [g, const("one", np.float32(1), np.float32) if i == 0 else "one"], f"{p}.gelu.add")
        g = node("Mul", [h, g], f"{p}.gelu.mul")
        g = node("Mul", [g, const("half", np.float32(0.5), np.float32) if i == 0 else "half"], f"{p}.gelu.out")
        x = node("Add", [x, linear(g, f"{p}.fc2", MLP, D)], f"{p}.res2")
    x = layer_norm(x, "final.ln")
    x = node("Gather", [x, const("cls.index", 0)], "cls.token", axis=1)
    logits = linear(x, "head", D, CLASSES)
    graph = helper.make_graph(
        nodes, "vit_b16",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, IMAGE, IMAGE])],
        [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", CLASSES])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="whittle-bench")
    onnx.save(model, path)


if __name__ == "__main__":
    build(sys.argv[1])
