#!/usr/bin/env python3
"""Export a cnnc spec and its weights to an equivalent ONNX model (opset 17).

The exporter reads what cnnc itself resolved — ``cnnc summary --format json`` (schema
``cnnc.summary/2``; other schemas are refused) gives every layer's inputs by name, per-side padding
(``same`` already turned into numbers), shapes and options — plus the weights: a safetensors file
(parsed here with numpy; the format is an 8-byte header length, a JSON header and raw
little-endian data) and the values written inline in the spec (conv, conv_transpose and dense
``weight:`` and ``bias:`` lists, with ``normalize: true`` applied exactly as cnnc applies it).

Command line::

    python tools/cnnc_onnx.py export SPEC [--weights W.safetensors] -o model.onnx [--cnnc PATH]

As a library::

    summary = run_summary(spec_path, cnnc="path/to/cnnc")
    weights = load_weights(spec_path, summary, weights_path)
    exported = export_model(summary, weights)       # ExportedModel
    onnx.save(exported.model, "model.onnx")

The model has one input ``input`` of shape [N, C, H, W] (N dynamic) and one output ``output``, the
value of the summary's ``output`` layer: [N, C, H, W] for a spatial result, [N, F] after
``flatten``/``dense`` (a flat result that ends in a global pool, a 1×1 convolution or a merge of a
4-D flat value stays [N, F, 1, 1]). The spec is a graph: each layer reads the values its summary
``inputs`` name (``input`` is the network input). Only layers the output reads, directly or not,
are exported (``extra_outputs`` adds more, unused ones included). Nodes are named after the spec's
layers and initializers after the safetensors tensors (``conv1.weight``), so Netron shows the spec's
network.

Each value keeps its rank, 4 ([N, C, H, W]) or 2 ([N, F] after ``flatten``/``dense``). Layers
that need a 4-D tensor get an ``Unsqueeze`` to [N, F, 1, 1] of a flat one; ``dense`` after a 4-D
tensor gets a ``Flatten``. ``add``, ``mul`` and ``concat`` lift 2-D inputs to 4-D when their
inputs have mixed ranks (ONNX broadcasting would align [N, F] with the trailing axes of
[N, F, 1, 1]).

Lowering, layer by layer (docs/onnx.md explains the choices):

* ``conv``: ``Conv`` with explicit per-side ``pads``, strides, dilations, group. Padding modes other
  than zeros become a node before the Conv: ``Pad`` mode ``constant`` (with ``padding_value``),
  ``reflect`` or ``edge`` (replicate). Circular padding is ``Slice`` + ``Concat`` (``Pad`` mode
  ``wrap`` exists only from opset 19, and the model stays opset 17).
* ``conv_transpose``: ``ConvTranspose`` (weights [in, out/groups, kh, kw] as in PyTorch) with
  ``pads`` [top, left, bottom, right], ``output_padding``, strides, dilations, group. ONNX Runtime
  refuses an ``output_padding`` not smaller than the stride (the spec allows up to the dilation);
  such a layer is a bias-free uncropped ``ConvTranspose``, a zero ``Pad`` of the output_padding at
  the end, the crop as a ``Slice``, then ``Add`` of the bias.
* ``maxpool`` / ``avgpool``: ``ceil_mode`` is never passed to ONNX. The extra windows of ceil mode
  are expressed as extra end padding, computed from the output size cnnc resolved (ONNX shape
  inference and ONNX Runtime disagree on ``ceil_mode=1`` when a window would start in the padding).
  Max pooling's padding is −∞ in ONNX, so that is exact. For average pooling with
  ``count_include_pad: true`` the ceil-mode overhang must not count in the divisor while the stated
  padding must: there the stated padding becomes an explicit zero ``Pad`` and the pool runs with
  ``count_include_pad=0`` over the overhang alone.
* ``upsample``: ``Resize`` with scales [1, 1, sh, sw]; ``nearest`` is mode ``nearest`` with
  ``asymmetric`` coordinates and ``floor`` rounding (output x copies input ⌊x/s⌋), ``bilinear`` is
  mode ``linear`` with ``half_pixel`` coordinates (PyTorch's ``align_corners=False``).
* ``add``: ``Add``, chained in the listed order for more than two inputs. ``mul``: ``Mul``; a C×1×1
  gate is a 4-D [N, C, 1, 1] tensor that broadcasts over the other input's plane. ``concat``:
  ``Concat`` on axis 1.
* activations: ``Relu``, ``Clip`` (relu6), ``LeakyRelu``, ``Elu``, ``Sigmoid``, ``Tanh``; gelu as
  x·0.5·(1 + erf(x/√2)) from ``Erf`` (``Gelu`` is opset 20); silu as x·Sigmoid(x).
* ``softmax``: ``Softmax`` over axis 1 (the channels). ``batchnorm``: ``BatchNormalization``.
  ``dropout``: ``Identity``. ``flatten``: ``Flatten`` (axis 1). ``dense``: ``Gemm`` with transB=1.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

OPSET = 17
# IR version 8 is the one that goes with opset 17 (ONNX 1.12); newer runtimes read it too.
IR_VERSION = 8
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

SPATIAL_KINDS = {"conv", "conv_transpose", "maxpool", "avgpool", "global_avgpool", "global_maxpool", "upsample"}
ELEMENTWISE_KINDS = {"relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu",
                     "softmax", "batchnorm", "dropout"}
MERGE_KINDS = {"add", "mul", "concat"}
ALL_KINDS = SPATIAL_KINDS | ELEMENTWISE_KINDS | MERGE_KINDS | {"flatten", "dense"}
SUMMARY_SCHEMA = "cnnc.summary/2"


class ExportError(Exception):
    """A spec, summary or weights file that cannot be exported (with a one-line reason)."""


# ---------------------------------------------------------------------------------------------
# Running cnnc
# ---------------------------------------------------------------------------------------------

def default_cnnc() -> str:
    """`$CNNC`, else the debug build of this repository, else `cnnc` on PATH."""
    if os.environ.get("CNNC"):
        return os.environ["CNNC"]
    for candidate in (REPOSITORY_ROOT / ".build" / "debug" / "cnnc",
                      REPOSITORY_ROOT / ".build" / "release" / "cnnc"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("cnnc")
    if found:
        return found
    raise ExportError("no cnnc found: pass --cnnc PATH, set CNNC, or run `swift build` first")


def run_summary(spec: str | os.PathLike, cnnc: str | None = None) -> dict:
    """`cnnc summary SPEC --format json`, parsed."""
    cnnc = cnnc or default_cnnc()
    result = subprocess.run([cnnc, "summary", str(spec), "--format", "json"],
                            capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    if result.returncode != 0:
        raise ExportError(f"`cnnc summary {spec}` failed (exit {result.returncode}):\n{result.stderr.strip()}")
    summary = json.loads(result.stdout)
    if summary.get("schema") != SUMMARY_SCHEMA:
        raise ExportError(f"unsupported summary schema {summary.get('schema')!r} (expected {SUMMARY_SCHEMA})")
    return summary


# ---------------------------------------------------------------------------------------------
# Weights: safetensors and inline values
# ---------------------------------------------------------------------------------------------

def read_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file as float32 (F32, F64, F16 and BF16, as cnnc accepts)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise ExportError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (header_length,) = struct.unpack("<Q", data[:8])
    if 8 + header_length > len(data):
        raise ExportError(f"{path}: header length {header_length} runs past the end of the file")
    header = json.loads(data[8:8 + header_length].decode("utf-8"))
    body = memoryview(data)[8 + header_length:]
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, shape = entry["dtype"], [int(d) for d in entry["shape"]]
        begin, end = (int(x) for x in entry["data_offsets"])
        raw = body[begin:end]
        if dtype == "F32":
            values = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F64":
            values = np.frombuffer(raw, dtype="<f8").astype(np.float32)
        elif dtype == "F16":
            values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            continue  # cnnc refuses other dtypes only for tensors a layer uses; so does export_model
        tensors[name] = values.astype(np.float32).reshape(shape)
    return tensors


def _yaml_number(value: Any) -> float:
    """A YAML scalar from an inline weight list as a number (PyYAML reads YAML 1.1, so the YAML 1.2
    forms that cnnc accepts, such as `1e-5` or `0o17`, may arrive as strings)."""
    if isinstance(value, bool):
        raise ExportError(f"inline weight value {value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(int(text, 0))
    except ValueError:
        return float(text)


def _nested_floats(values: Any) -> np.ndarray:
    def convert(v: Any) -> Any:
        return [convert(x) for x in v] if isinstance(v, list) else _yaml_number(v)
    return np.array(convert(values), dtype=np.float64).astype(np.float32)


def inline_weights(spec: str | os.PathLike, summary: dict) -> dict[str, np.ndarray]:
    """The tensors a spec gives inline, named and shaped as in the weights file: conv, dense and
    conv_transpose `weight:` lists (for conv also a 2-D filter, copied to every output/input channel
    pair, and `normalize: true` applied in float32 with the sum accumulated in order, as cnnc does)
    and `bias:` lists. YAML entries are matched to the summary's layers in order, skipping the
    layers that `activation:` sugar adds."""
    import yaml  # only needed here; the rest of the module works without PyYAML

    text = Path(spec).read_text(encoding="utf-8-sig")
    document = yaml.safe_load(text)
    entries = document.get("layers") or []
    layers = [layer for layer in summary["layers"] if "activation_of" not in layer]
    if len(entries) != len(layers):
        raise ExportError(f"{spec}: {len(entries)} layers in the YAML but {len(layers)} in the summary")
    tensors: dict[str, np.ndarray] = {}
    for entry, layer in zip(entries, layers):
        if not isinstance(entry, dict):
            continue  # a bare kind has no options
        ((kind, options),) = entry.items()
        if kind != layer["kind"]:
            raise ExportError(f"{spec}: layer {layer['index']} is '{kind}' in the YAML but '{layer['kind']}' in the summary")
        if not isinstance(options, dict) or kind not in ("conv", "dense", "conv_transpose"):
            continue
        name, o = layer["name"], layer["options"]
        if options.get("weight") is not None:
            weight = _nested_floats(options["weight"])
            if kind == "conv":
                kh, kw = o["kernel"]
                full = (o["out_channels"], o["in_channels"] // o["groups"], kh, kw)
                if weight.shape == (kh, kw):
                    weight = np.broadcast_to(weight, full).copy()
                if weight.shape != full:
                    raise ExportError(f"{spec}: inline weight of '{name}' has shape {list(weight.shape)}, expected {list(full)}")
                if options.get("normalize") is True:
                    kernels = weight.reshape(-1, kh * kw)
                    for row in kernels:
                        total = np.float32(0)
                        for v in row:
                            total = np.float32(total + v)
                        row /= total
                    weight = kernels.reshape(full)
            elif kind == "conv_transpose":
                kh, kw = o["kernel"]
                full = (o["in_channels"], o["out_channels"] // o["groups"], kh, kw)
                if weight.shape != full:
                    raise ExportError(f"{spec}: inline weight of '{name}' has shape {list(weight.shape)}, expected {list(full)}")
            tensors[f"{layer.get('tensor_prefix', name)}.weight"] = weight
        if isinstance(options.get("bias"), list):
            tensors[f"{layer.get('tensor_prefix', name)}.bias"] = _nested_floats(options["bias"])
    return tensors


def load_weights(spec: str | os.PathLike, summary: dict,
                 weights_path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The weights cnnc would bind: inline values first, then `weights_path`, else the spec's
    `weights:` file (relative to the spec). Tensors the spec does not use are kept but ignored."""
    tensors: dict[str, np.ndarray] = {}
    if weights_path is None and summary.get("weights"):
        weights_path = Path(spec).parent / summary["weights"]
    if weights_path is not None:
        tensors.update(read_safetensors(weights_path))
    tensors.update(inline_weights(spec, summary))
    return tensors


# ---------------------------------------------------------------------------------------------
# Graph construction
# ---------------------------------------------------------------------------------------------

@dataclass
class LayerExport:
    """Where one summary layer ended up in the ONNX graph."""
    name: str
    kind: str
    output: str                 # the graph value holding this layer's output
    rank: int                   # 4 ([N, C, H, W]) or 2 ([N, F])
    initializers: dict[str, str] = field(default_factory=dict)  # role → initializer name
    nodes: list[str] = field(default_factory=list)


@dataclass
class ExportedModel:
    model: Any                  # onnx.ModelProto, shape-inferred
    layers: list[LayerExport]   # the exported layers, in the summary's order
    summary: dict
    output_layer: str           # the layer whose value is the graph output `output`

    def layer(self, name: str) -> LayerExport:
        return next(record for record in self.layers if record.name == name)

    def initializer_sizes(self) -> dict[str, int]:
        return {init.name: int(np.prod(init.dims, dtype=np.int64)) for init in self.model.graph.initializer}

    def inferred_shapes(self) -> dict[str, list]:
        """Every typed value's shape from ONNX shape inference: ints, or a string for a symbolic
        dimension (the batch, `N`)."""
        shapes = {}
        graph = self.model.graph
        for info in list(graph.input) + list(graph.value_info) + list(graph.output):
            dims = []
            for d in info.type.tensor_type.shape.dim:
                dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?"))
            shapes[info.name] = dims
        return shapes


class _Graph:
    """Nodes and initializers under construction, with unique value and node names."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.initializers: list = []
        self.used: set[str] = {"input", "output"}   # value and initializer names
        self.node_names: set[str] = set()

    def unique(self, base: str) -> str:
        name, counter = base, 1
        while name in self.used:
            name = f"{base}_{counter}"
            counter += 1
        self.used.add(name)
        return name

    def constant(self, base: str, array: np.ndarray) -> str:
        from onnx import numpy_helper
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, output: str | None = None, **attrs) -> str:
        from onnx import helper
        output = output or self.unique(name)
        node_name, counter = name, 1
        while node_name in self.node_names:
            node_name = f"{name}_{counter}"
            counter += 1
        self.node_names.add(node_name)
        self.nodes.append(helper.make_node(op, inputs, [output], name=node_name, **attrs))
        return output


def _window(options: dict) -> tuple[list[int], list[int], list[int], list[int]]:
    kernel, stride = list(options["kernel"]), list(options["stride"])
    dilation = list(options.get("dilation", [1, 1]))
    top, bottom, left, right = options["padding"]
    return kernel, stride, dilation, [top, bottom, left, right]


def ceil_mode_extra_padding(in_size: int, out_size: int, kernel: int, stride: int,
                            pad_before: int, pad_after: int) -> int:
    """End padding to add so that a floor-mode window count equals `out_size` (the size cnnc
    resolved, ceil mode and its dropped last window included)."""
    extra = max(0, (out_size - 1) * stride + kernel - (in_size + pad_before + pad_after))
    if (in_size + pad_before + pad_after + extra - kernel) // stride + 1 != out_size:
        raise ExportError(f"cannot express an output of {out_size} from {in_size} "
                          f"(kernel {kernel}, stride {stride}, padding {pad_before}/{pad_after}) with end padding")
    return extra


def layers_needed(summary: dict, wanted: Iterable[str]) -> set[str]:
    """The names of the layers whose results the `wanted` layers read, directly or not, and the
    `wanted` layers themselves."""
    by_name = {layer["name"]: layer for layer in summary["layers"]}
    needed: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name == "input" or name in needed:
            continue
        if name not in by_name:
            raise ExportError(f"no layer named '{name}'")
        needed.add(name)
        stack.extend(by_name[name]["inputs"])
    return needed


def export_model(summary: dict, weights: dict[str, np.ndarray], *,
                 identity_kinds: Iterable[str] = (), mul_as_add: bool = False, output: str | None = None,
                 extra_outputs: Iterable[str] = (), check: bool = True) -> ExportedModel:
    """Builds, checks (onnx.checker) and shape-infers the ONNX model of a summary and its weights.

    Only the layers that the graph outputs read (directly or not) are exported, so the spec's
    unused layers are left out unless they are named in `extra_outputs`.

    identity_kinds: layer kinds exported as Identity instead (the receptive-field tests use it to
        strip activations and batchnorm); mul_as_add: export `mul` as `Add` (same dependencies,
        and no zero input hides one; for the receptive-field tests); output: the layer whose value
        is the graph output `output` (default: the summary's `output`); extra_outputs: layer names
        whose values also become graph outputs (under their own value names).
    """
    import onnx
    from onnx import TensorProto, helper

    identity_kinds = set(identity_kinds)
    output_layer = output or summary["output"]
    extra_outputs = [name for name in dict.fromkeys(extra_outputs) if name != output_layer]
    needed = layers_needed(summary, [output_layer, *extra_outputs])
    layers = [layer for layer in summary["layers"] if layer["name"] in needed]
    g = _Graph()
    # Every value a layer may read: the graph value and its rank.
    values: dict[str, tuple[str, int]] = {"input": ("input", 4)}
    exports: list[LayerExport] = []

    def tensor(layer: dict, role: str, shape: tuple[int, ...]) -> str:
        key = f"{layer.get('tensor_prefix', layer['name'])}.{role}"
        if key not in weights:
            raise ExportError(f"missing tensor '{key}' (shape {list(shape)}) for layer '{layer['name']}'")
        value = np.asarray(weights[key], dtype=np.float32)
        if tuple(value.shape) != tuple(shape):
            raise ExportError(f"tensor '{key}' has shape {list(value.shape)}, expected {list(shape)}")
        return g.constant(key, value)

    for layer in layers:
        name, kind, o = layer["name"], layer["kind"], layer["options"]
        if kind not in ALL_KINDS:
            raise ExportError(f"layer '{name}': unsupported kind '{kind}'")
        out = "output" if name == output_layer else g.unique(name)
        sources = [values[source] for source in layer["inputs"]]
        x, rank = sources[0]
        record = LayerExport(name=name, kind=kind, output=out, rank=rank)
        first_node = len(g.nodes)

        def to_4d(value: str, value_rank: int) -> str:
            """[N, F] → [N, F, 1, 1] (a flat tensor is F×1×1); a 4-D value as it is."""
            if value_rank == 4:
                return value
            axes = g.constant(f"{name}/unsqueeze_axes", np.array([2, 3], dtype=np.int64))
            return g.node("Unsqueeze", [value, axes], f"{name}/to_4d")

        def same_rank() -> tuple[list[str], int]:
            """The inputs of a multi-input layer at one rank. Mixed ranks only meet on flat
            tensors ([N, F] beside [N, F, 1, 1]), and ONNX broadcasting would align their trailing
            axes ([N, F] + [N, F, 1, 1] → [N, F, N, F]), so the 2-D ones are lifted to 4-D."""
            common = max(r for _, r in sources)
            return [to_4d(v, r) if common == 4 else v for v, r in sources], common

        if kind in identity_kinds or kind == "dropout":
            g.node("Identity", [x], name, out)
        elif kind == "conv":
            x, rank = to_4d(x, rank), 4
            kernel, stride, dilation, (top, bottom, left, right) = _window(o)
            groups = o["groups"]
            cin, cout = o["in_channels"], o["out_channels"]
            mode = o["padding_mode"]
            conv_pads = [top, left, bottom, right]
            padded = any(conv_pads)
            if padded and mode == "constant" and float(o.get("padding_value", 0.0)) == 0.0:
                mode = "zeros"
            if padded and mode in ("constant", "reflect", "replicate"):
                pads = g.constant(f"{name}/pads", np.array([0, 0, top, left, 0, 0, bottom, right], dtype=np.int64))
                inputs = [x, pads]
                if mode == "constant":
                    inputs.append(g.constant(f"{name}/padding_value", np.array(o["padding_value"], dtype=np.float32)))
                x = g.node("Pad", inputs, f"{name}/pad", mode={"constant": "constant", "reflect": "reflect",
                                                               "replicate": "edge"}[mode])
                conv_pads = [0, 0, 0, 0]
            elif padded and mode == "circular":
                _, height, width = layer["input_shape"]
                for axis, before, after, size in ((2, top, bottom, height), (3, left, right, width)):
                    if before == 0 and after == 0:
                        continue
                    axes = g.constant(f"{name}/wrap_axis{axis}", np.array([axis], dtype=np.int64))
                    parts = []
                    if before:
                        starts = g.constant(f"{name}/wrap_begin{axis}", np.array([size - before], dtype=np.int64))
                        ends = g.constant(f"{name}/wrap_begin{axis}_end", np.array([size], dtype=np.int64))
                        parts.append(g.node("Slice", [x, starts, ends, axes], f"{name}/wrap_before_{axis}"))
                    parts.append(x)
                    if after:
                        starts = g.constant(f"{name}/wrap_end{axis}_start", np.array([0], dtype=np.int64))
                        ends = g.constant(f"{name}/wrap_end{axis}", np.array([after], dtype=np.int64))
                        parts.append(g.node("Slice", [x, starts, ends, axes], f"{name}/wrap_after_{axis}"))
                    x = g.node("Concat", parts, f"{name}/wrap_{'h' if axis == 2 else 'w'}", axis=axis)
                conv_pads = [0, 0, 0, 0]
            elif padded and mode != "zeros":
                raise ExportError(f"layer '{name}': unsupported padding_mode '{mode}'")
            inputs = [x, tensor(layer, "weight", (cout, cin // groups, kernel[0], kernel[1]))]
            record.initializers["weight"] = inputs[1]
            if o["bias"]:
                inputs.append(tensor(layer, "bias", (cout,)))
                record.initializers["bias"] = inputs[2]
            g.node("Conv", inputs, name, out, kernel_shape=kernel, strides=stride, dilations=dilation,
                   pads=conv_pads, group=groups)
        elif kind == "conv_transpose":
            x, rank = to_4d(x, rank), 4
            kernel, stride, dilation, (top, bottom, left, right) = _window(o)
            groups, cin, cout = o["groups"], o["in_channels"], o["out_channels"]
            weight = tensor(layer, "weight", (cin, cout // groups, kernel[0], kernel[1]))
            record.initializers["weight"] = weight
            bias = tensor(layer, "bias", (cout,)) if o["bias"] else None
            if bias:
                record.initializers["bias"] = bias
            output_padding = list(o["output_padding"])
            if all(rows < s for rows, s in zip(output_padding, stride)):
                g.node("ConvTranspose", [x, weight] + ([bias] if bias else []), name, out, kernel_shape=kernel,
                       strides=stride, dilations=dilation, group=groups, pads=[top, left, bottom, right],
                       output_padding=output_padding)
            else:
                # ONNX Runtime refuses an output_padding that is not smaller than the stride, which
                # the spec allows when the dilation is larger. Spelled out: the full output (no crop),
                # output_padding zero rows and columns at the end (only the bias lands there), the
                # crop as a Slice, then the bias.
                _, in_h, in_w = layer["input_shape"]
                full = [(n - 1) * st + dl * (k - 1) + 1 for n, st, dl, k in zip((in_h, in_w), stride, dilation, kernel)]
                x = g.node("ConvTranspose", [x, weight], f"{name}/conv_transpose", kernel_shape=kernel, strides=stride,
                           dilations=dilation, group=groups)
                pads = g.constant(f"{name}/output_padding", np.array([0, 0, 0, 0, 0, 0, *output_padding], dtype=np.int64))
                x = g.node("Pad", [x, pads], f"{name}/pad", mode="constant")
                starts = g.constant(f"{name}/crop_starts", np.array([top, left], dtype=np.int64))
                ends = g.constant(f"{name}/crop_ends", np.array([full[0] + output_padding[0] - bottom,
                                                                  full[1] + output_padding[1] - right], dtype=np.int64))
                axes = g.constant(f"{name}/crop_axes", np.array([2, 3], dtype=np.int64))
                if bias:
                    x = g.node("Slice", [x, starts, ends, axes], f"{name}/crop")
                    bias_axes = g.constant(f"{name}/bias_axes", np.array([1, 2], dtype=np.int64))
                    g.node("Add", [x, g.node("Unsqueeze", [bias, bias_axes], f"{name}/bias")], name, out)
                else:
                    g.node("Slice", [x, starts, ends, axes], name, out)
        elif kind in ("maxpool", "avgpool"):
            x, rank = to_4d(x, rank), 4
            kernel, stride, _, (top, bottom, left, right) = _window(o)
            _, in_h, in_w = layer["input_shape"]
            _, out_h, out_w = layer["output_shape"]
            extra_h = ceil_mode_extra_padding(in_h, out_h, kernel[0], stride[0], top, bottom)
            extra_w = ceil_mode_extra_padding(in_w, out_w, kernel[1], stride[1], left, right)
            if (extra_h or extra_w) and not o.get("ceil_mode", False):
                raise ExportError(f"layer '{name}': output {out_h}×{out_w} needs ceil mode, but ceil_mode is false")
            if kind == "maxpool":
                g.node("MaxPool", [x], name, out, kernel_shape=kernel, strides=stride,
                       pads=[top, left, bottom + extra_h, right + extra_w])
            elif o.get("count_include_pad", False) and (extra_h or extra_w):
                # The stated padding counts in the divisor, the ceil-mode overhang does not: pad
                # explicitly with zeros, then let the pool exclude only the overhang.
                if top or bottom or left or right:
                    pads = g.constant(f"{name}/pads", np.array([0, 0, top, left, 0, 0, bottom, right], dtype=np.int64))
                    x = g.node("Pad", [x, pads], f"{name}/pad", mode="constant")
                g.node("AveragePool", [x], name, out, kernel_shape=kernel, strides=stride,
                       pads=[0, 0, extra_h, extra_w], count_include_pad=0)
            else:
                g.node("AveragePool", [x], name, out, kernel_shape=kernel, strides=stride,
                       pads=[top, left, bottom + extra_h, right + extra_w],
                       count_include_pad=1 if o.get("count_include_pad", False) else 0)
        elif kind in ("global_avgpool", "global_maxpool"):
            x, rank = to_4d(x, rank), 4
            g.node("GlobalAveragePool" if kind == "global_avgpool" else "GlobalMaxPool", [x], name, out)
        elif kind == "upsample":
            x, rank = to_4d(x, rank), 4
            scale_h, scale_w = o["scale"]
            scales = g.constant(f"{name}/scales", np.array([1, 1, scale_h, scale_w], dtype=np.float32))
            if o["mode"] == "nearest":
                attributes = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
            elif o["mode"] == "bilinear":
                attributes = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
            else:
                raise ExportError(f"layer '{name}': unsupported upsample mode '{o['mode']}'")
            g.node("Resize", [x, "", scales], name, out, **attributes)
        elif kind == "add" or (kind == "mul" and mul_as_add):
            xs, rank = same_rank()
            total = xs[0]
            for position, term in enumerate(xs[1:], start=1):
                last = position == len(xs) - 1
                total = g.node("Add", [total, term], name if last else f"{name}/add{position}", out if last else None)
        elif kind == "mul":
            # A C×1×1 gate is [N, C, 1, 1] after same_rank (the other input is spatial, so 4-D),
            # and ONNX broadcasting then scales each channel of the other input, in either order.
            (a, b), rank = same_rank()
            g.node("Mul", [a, b], name, out)
        elif kind == "concat":
            xs, rank = same_rank()
            g.node("Concat", xs, name, out, axis=1)
        elif kind == "flatten":
            g.node("Flatten", [x], name, out, axis=1)
            rank = 2
        elif kind == "dense":
            if rank == 4:
                x = g.node("Flatten", [x], f"{name}/flatten", axis=1)
                rank = 2
            units, features = o["out_features"], o["in_features"]
            inputs = [x, tensor(layer, "weight", (units, features))]
            record.initializers["weight"] = inputs[1]
            if o["bias"]:
                inputs.append(tensor(layer, "bias", (units,)))
                record.initializers["bias"] = inputs[2]
            g.node("Gemm", inputs, name, out, transB=1)
        elif kind == "batchnorm":
            channels = layer["input_shape"][0]
            inputs = [x] + [tensor(layer, role, (channels,)) for role in ("weight", "bias", "running_mean", "running_var")]
            record.initializers.update(zip(("weight", "bias", "running_mean", "running_var"), inputs[1:]))
            g.node("BatchNormalization", inputs, name, out, epsilon=float(o["eps"]))
        elif kind == "relu":
            g.node("Relu", [x], name, out)
        elif kind == "relu6":
            low = g.constant(f"{name}/min", np.array(0.0, dtype=np.float32))
            high = g.constant(f"{name}/max", np.array(6.0, dtype=np.float32))
            g.node("Clip", [x, low, high], name, out)
        elif kind == "leaky_relu":
            g.node("LeakyRelu", [x], name, out, alpha=float(o["alpha"]))
        elif kind == "elu":
            g.node("Elu", [x], name, out, alpha=float(o["alpha"]))
        elif kind == "sigmoid":
            g.node("Sigmoid", [x], name, out)
        elif kind == "tanh":
            g.node("Tanh", [x], name, out)
        elif kind == "gelu":
            # x · 0.5 · (1 + erf(x / √2)); Gelu itself is opset 20.
            sqrt2 = g.constant(f"{name}/sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
            one = g.constant(f"{name}/one", np.array(1.0, dtype=np.float32))
            half = g.constant(f"{name}/half", np.array(0.5, dtype=np.float32))
            scaled = g.node("Div", [x, sqrt2], f"{name}/div")
            erf = g.node("Erf", [scaled], f"{name}/erf")
            shifted = g.node("Add", [erf, one], f"{name}/add")
            product = g.node("Mul", [x, shifted], f"{name}/mul")
            g.node("Mul", [product, half], name, out)
        elif kind == "silu":
            sigmoid = g.node("Sigmoid", [x], f"{name}/sigmoid")
            g.node("Mul", [x, sigmoid], name, out)
        elif kind == "softmax":
            g.node("Softmax", [x], name, out, axis=1)
        else:  # pragma: no cover - ALL_KINDS guards this
            raise ExportError(f"layer '{name}': unsupported kind '{kind}'")

        record.rank = rank
        record.nodes = [n.name for n in g.nodes[first_node:]]
        exports.append(record)
        values[name] = (out, rank)

    def value_info(record: LayerExport):
        shape = next(layer for layer in layers if layer["name"] == record.name)["output_shape"]
        dims = ["N", shape[0]] if record.rank == 2 else ["N", *shape]
        return helper.make_tensor_value_info(record.output, TensorProto.FLOAT, dims)

    channels, height, width = summary["input_shape"]
    graph_input = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", channels, height, width])
    by_name = {record.name: record for record in exports}
    outputs = [value_info(by_name[name]) for name in [output_layer, *extra_outputs]]
    graph = helper.make_graph(g.nodes, summary["name"] or "cnnc", [graph_input], outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="cnnc_onnx", producer_version="1")
    model.ir_version = IR_VERSION
    model.doc_string = f"Exported from the cnnc spec {summary.get('spec', '')!s} ({summary['name']})."
    if check:
        onnx.checker.check_model(model, full_check=True)
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    return ExportedModel(model=model, layers=exports, summary=summary, output_layer=output_layer)


# ---------------------------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------------------------

def make_session(model, threads: int = 1):
    """An ONNX Runtime CPU session for a ModelProto (or serialized bytes)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    data = model if isinstance(model, (bytes, bytearray)) else model.SerializeToString()
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def summary_shape_of(onnx_dims: list, rank: int) -> list:
    """An ONNX value's [N, …] shape as the summary writes one sample: [C, H, W], [F] → [F, 1, 1]."""
    dims = list(onnx_dims[1:])
    return dims + [1, 1] if rank == 2 and len(dims) == 1 else dims


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _export_command(args: argparse.Namespace) -> int:
    import onnx
    try:
        summary = run_summary(args.spec, args.cnnc)
        weights = load_weights(args.spec, summary, args.weights)
        exported = export_model(summary, weights)
    except ExportError as error:
        print(f"cnnc_onnx: error: {error}", file=sys.stderr)
        return 1
    onnx.save(exported.model, args.output)
    graph = exported.model.graph
    params = sum(exported.initializer_sizes().values())
    print(f"wrote {args.output}: opset {OPSET}, {len(graph.node)} nodes, {len(graph.initializer)} initializers "
          f"({params:,} values), input {summary['input_shape']} with a dynamic batch")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cnnc_onnx.py",
        description="Export a cnnc spec and its weights to ONNX (opset 17).")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the ONNX model of a spec",
                                 description="Runs `cnnc summary --format json` on SPEC, reads its weights "
                                             "(the --weights file or the spec's `weights:`, plus inline values) "
                                             "and writes an ONNX model checked with onnx.checker.")
    export.add_argument("spec", help="the spec (.yaml)")
    export.add_argument("--weights", help="a safetensors file (default: the spec's `weights:`; "
                                          "not needed when every weight is inline)")
    export.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    export.add_argument("--cnnc", help="the cnnc executable (default: $CNNC, .build/debug/cnnc, or cnnc on PATH)")
    args = parser.parse_args(argv)
    return _export_command(args)


if __name__ == "__main__":
    sys.exit(main())
