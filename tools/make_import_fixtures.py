#!/usr/bin/env python3
"""Writes the ONNX fixtures of `cnnc import`'s tests: Tests/Fixtures/onnx/patterns/.

Each model is built by hand with onnx.helper — independently of cnnc's own exporter — to spell one
pattern exporters use for what ONNX lacks or writes awkwardly, at the opset where it occurs:

* valid models (`NAME.onnx`), each with a seeded input `NAME.input.npy` and ONNX Runtime's output
  `NAME.output.npy`, which `cnnc import` + `cnnc run` must reproduce (1e-4 relative + 1e-5 absolute);
* invalid ones (`invalid-NAME.onnx`), whose one-line errors the tests compare with
  `invalid-NAME.expected`.

    tools/.venv/bin/python tools/make_import_fixtures.py      # rewrites the folder

Deterministic: the same packages (tools/requirements.txt) give the same bytes.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import cnnc_onnx

OUT = cnnc_onnx.REPOSITORY_ROOT / "Tests" / "Fixtures" / "onnx" / "patterns"


class Builder:
    """Nodes and initializers of one graph, with seeded random weights."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.initializers: list = []

    def weight(self, name: str, shape: tuple[int, ...], scale: float = 0.5) -> str:
        self.initializers.append(numpy_helper.from_array(
            (self.rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(self, name: str, values, dtype=np.int64) -> str:
        self.initializers.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, name: str | None = None, **attributes) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=name or output, **attributes))
        return output

    def model(self, name: str, input_shape: list, output_rank: int, opset: int = 17) -> onnx.ModelProto:
        """The graph `x` → `y`; y's sizes are left symbolic (ONNX Runtime computes them)."""
        graph = helper.make_graph(self.nodes, name,
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [f"y{i}" for i in range(output_rank)])],
                                  self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_import_fixtures")
        model.ir_version = 8 if opset >= 13 else 6
        onnx.checker.check_model(model, full_check=True)
        return model


def circular_pad() -> onnx.ModelProto:
    """Circular padding as PyTorch's exporter writes padding_mode="circular": Slice + Concat along H,
    then along W, then a Conv without pads."""
    b = Builder(1)
    x = "x"
    for axis, before, after, size in ((2, 1, 2, 6), (3, 2, 1, 7)):
        axes = b.const(f"axes{axis}", [axis])
        first = b.node("Slice", [x, b.const(f"s{axis}a", [size - before]), b.const(f"e{axis}a", [size]), axes], f"wrap{axis}_before")
        last = b.node("Slice", [x, b.const(f"s{axis}b", [0]), b.const(f"e{axis}b", [after]), axes], f"wrap{axis}_after")
        x = b.node("Concat", [first, x, last], f"wrapped{axis}", axis=axis)
    b.node("Conv", [x, b.weight("conv.weight", (4, 2, 3, 3)), b.weight("conv.bias", (4,))], "y", name="conv",
           kernel_shape=[3, 3], pads=[0, 0, 0, 0])
    return b.model("circular_pad", [1, 2, 6, 7], 4)


def ceil_end_padding() -> onnx.ModelProto:
    """ceil_mode as extra end padding (what cnnc's exporter writes, since ONNX shape inference and ONNX
    Runtime disagree on ceil_mode=1): a MaxPool whose end pad reaches the kernel, an AveragePool that
    excludes its overhang, and a zero Pad counted in an average before a pool that pads only at the end."""
    b = Builder(2)
    m = b.node("MaxPool", ["x"], "max", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 2, 1])
    a = b.node("AveragePool", [m], "avg", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 2, 2], count_include_pad=0)
    p = b.node("Pad", [a, b.const("pads", [0, 0, 1, 1, 0, 0, 1, 1])], "padded", mode="constant")
    b.node("AveragePool", [p], "y", name="counted", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1], count_include_pad=0)
    return b.model("ceil_end_padding", [1, 3, 13, 11], 4)


def softmax_opset11() -> onnx.ModelProto:
    """Softmax at opset 11 on a [N, C] tensor after Gemm: its axis means "flatten from axis 1",
    which for a 2-D tensor is the channels."""
    b = Builder(3)
    f = b.node("Flatten", ["x"], "flat", axis=1)
    g = b.node("Gemm", [f, b.weight("fc.weight", (5, 12)), b.weight("fc.bias", (5,))], "logits", transB=1)
    b.node("Softmax", [g], "y", name="softmax", axis=1)
    return b.model("softmax_opset11", [1, 3, 2, 2], 2, opset=11)


def gelu_silu_spellings() -> onnx.ModelProto:
    """gelu spelled with its factors in another order than cnnc's exporter uses, silu as
    Mul(Sigmoid(x), x), relu6 as Clip with initializer bounds (opset 11+), on a MatMul + Add dense."""
    b = Builder(4)
    f = b.node("Flatten", ["x"], "flat", axis=1)
    m = b.node("MatMul", [f, b.weight("fc.weight_t", (8, 6))], "matmul")
    d = b.node("Add", [m, b.weight("fc.bias", (6,))], "dense")
    half = b.const("half", 0.5, np.float32)
    root = b.const("root2", 1.4142135381698608, np.float32)
    one = b.const("one", 1.0, np.float32)
    h = b.node("Mul", [half, d], "gelu/half")
    e = b.node("Erf", [b.node("Div", [d, root], "gelu/div")], "gelu/erf")
    g = b.node("Mul", [h, b.node("Add", [one, e], "gelu/add")], "gelu")
    s = b.node("Mul", [b.node("Sigmoid", [g], "silu/sigmoid"), g], "silu")
    b.node("Clip", [s, b.const("low", 0.0, np.float32), b.const("high", 6.0, np.float32)], "y", name="relu6")
    return b.model("gelu_silu_spellings", [1, 2, 2, 2], 2)


def flatten_through_shape() -> onnx.ModelProto:
    """The Shape → Gather → Unsqueeze → Concat → Reshape of `x.view(x.size(0), -1)`, opset 13."""
    b = Builder(5)
    c = b.node("Conv", ["x", b.weight("conv.weight", (4, 1, 3, 3))], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    r = b.node("Relu", [c], "relu")
    shape = b.node("Shape", [r], "shape")
    batch = b.node("Gather", [shape, b.const("zero", 0)], "batch", axis=0)
    batch = b.node("Unsqueeze", [batch, b.const("axes0", [0])], "batch1")
    target = b.node("Concat", [batch, b.const("minus1", [-1])], "target", axis=0)
    v = b.node("Reshape", [r, target], "view")
    b.node("Gemm", [v, b.weight("fc.weight", (3, 100)), b.weight("fc.bias", (3,))], "y", name="fc", transB=1)
    return b.model("flatten_through_shape", [1, 1, 5, 5], 2, opset=13)


def pad_modes_and_resize() -> onnx.ModelProto:
    """Pad (reflect, edge, constant) folded into the Conv or pool after it; Resize by scales (nearest,
    asymmetric, floor) and by sizes (linear, half_pixel); a per-channel gate and a residual add."""
    b = Builder(6)
    p = b.node("Pad", ["x", b.const("reflect_pads", [0, 0, 1, 2, 0, 0, 1, 2])], "reflect", mode="reflect")
    c = b.node("Conv", [p, b.weight("c1.weight", (4, 2, 3, 3)), b.weight("c1.bias", (4,))], "c1", kernel_shape=[3, 3])
    e = b.node("Pad", [c, b.const("edge_pads", [0, 0, 1, 1, 0, 0, 1, 1])], "edge", mode="edge")
    c2 = b.node("Conv", [e, b.weight("c2.weight", (4, 4, 3, 3))], "c2", kernel_shape=[3, 3])
    up = b.node("Resize", [c2, "", b.const("scales", [1, 1, 2, 2], np.float32)], "up",
                mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    gate = b.node("Sigmoid", [b.node("GlobalAveragePool", [up], "squeeze")], "gate")
    gated = b.node("Mul", [up, gate], "gated")
    smooth = b.node("Resize", [c2, "", "", b.const("sizes", [1, 4, 10, 18])], "smooth",
                    mode="linear", coordinate_transformation_mode="half_pixel")
    s = b.node("Add", [gated, smooth], "sum")
    q = b.node("Pad", [s, b.const("zero_pads", [0, 0, 1, 0, 0, 0, 0, 1]), b.const("pad_value", 0.0, np.float32)], "zeros", mode="constant")
    b.node("AveragePool", [q], "y", name="pool", kernel_shape=[2, 2], strides=[2, 2])
    return b.model("pad_modes_and_resize", [1, 2, 5, 7], 4)


VALID = [circular_pad, ceil_end_padding, softmax_opset11, gelu_silu_spellings, flatten_through_shape, pad_modes_and_resize]


def invalid_models() -> dict[str, bytes]:
    """Models `cnnc import` must refuse, each with one or more clear lines."""
    out: dict[str, bytes] = {}
    whole = circular_pad().SerializeToString()
    out["truncated"] = whole[: len(whole) // 2]
    out["not-onnx"] = b"name: a YAML spec, not a model\nlayers: []\n"
    # Several problems at once: every node cnnc cannot express is listed.
    b = Builder(7)
    t = b.node("Transpose", ["x"], "nhwc", perm=[0, 2, 3, 1])
    h = b.node("HardSwish", [t], "hardswish")
    b.node("LogSoftmax", [h], "y", name="log_softmax", axis=1)
    out["unsupported-ops"] = b.model("unsupported", [1, 3, 4, 4], 4).SerializeToString()
    # A dynamic height and width.
    b = Builder(8)
    b.node("Relu", ["x"], "y", name="relu")
    model = b.model("dynamic", [1, 3, "height", "width"], 4)
    out["dynamic-shape"] = model.SerializeToString()
    # Weights in an external data file.
    b = Builder(9)
    b.node("Conv", ["x", b.weight("conv.weight", (2, 1, 3, 3))], "y", name="conv", kernel_shape=[3, 3])
    model = b.model("external", [1, 1, 5, 5], 4)
    onnx.external_data_helper.convert_model_to_external_data(model, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    out["external-data"] = model.SerializeToString()
    # Softmax over C·H·W at opset 11.
    b = Builder(10)
    b.node("Softmax", ["x"], "y", name="softmax", axis=1)
    out["softmax-over-chw-opset11"] = b.model("softmax_chw", [1, 3, 2, 2], 4, opset=11).SerializeToString()
    return out


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for make in VALID:
        model = make()
        name = make.__name__
        (OUT / f"{name}.onnx").write_bytes(model.SerializeToString())
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        inputs = np.random.default_rng(len(name)).standard_normal(shape).astype(np.float32)
        outputs = cnnc_onnx.make_session(model).run(["y"], {"x": inputs})[0]
        np.save(OUT / f"{name}.input.npy", inputs)
        np.save(OUT / f"{name}.output.npy", outputs)
        print(f"{name}: {len(model.graph.node)} nodes, output {list(outputs.shape)}")
    for name, data in invalid_models().items():
        (OUT / f"invalid-{name}.onnx").write_bytes(data)
        print(f"invalid-{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
