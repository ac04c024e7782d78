#!/usr/bin/env python3
"""Seeded random generator of valid cnnc specs, for the differential tests.

Every spec it draws follows docs/spec.md's rules, so `cnnc check` must accept it: a rejected spec
is a bug of this generator (tools/differential.py checks every spec before using it). The draws
cover every layer kind and option — each padding mode, asymmetric, `[h, w]`, four-sided and `same`
paddings, strides, dilations, groups and depthwise convolutions, `ceil_mode`, `count_include_pad`
true and false, batchnorm `eps`, every activation with its options and as `activation:` sugar,
softmax, dropout, flatten, dense, global pools, transposed convolutions (stride, crop,
output_padding, dilation, groups, inline weights), upsampling (nearest, bilinear, non-square
scales), inline weights (full, 2-D filters with `normalize`, bias lists), explicit names,
`in_channels`/`in_features`, odd and non-square inputs, and layers after `flatten` — while keeping
tensors small, so a spec runs in milliseconds.

Half of the specs are graphs: among the chain's layers come blocks that branch with `from:` and
merge — residual blocks (identity or 1×1 stride-2 projection shortcut), inverted residuals,
squeeze-and-excitation gates (1×1 convs or dense layers, gate first or second), concat skips,
encoder–decoders (pool down; upsample or conv_transpose back up; concat or add with the skip),
branches from `input`, adds of three inputs, multiplications of one shape, merges on flat values
(mixed [N, F] and [N, F, 1, 1] in ONNX) — with layers that read values written several layers
back, and now and then an `output:` naming a mid layer (the later layers are then unused).

    python tools/random_specs.py --seed 7 --count 3          # print three specs
    python tools/random_specs.py --seed 7 --count 500 -o DIR  # write DIR/random-7-0000.yaml, …

As a library: `generate(seed) -> Spec`, `Spec.to_yaml()`, `load_spec(path)`, and `Spec` values
that the shrinker of tools/differential.py edits (`Spec.layers` is a list of `Layer(kind,
options)`, `from:` among the options; `Spec.output`), with the graph they describe from
`layer_names`, `layer_inputs` and `used_layers`.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import math
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softmax"]
PADDING_MODES = ["zeros", "constant", "reflect", "replicate", "circular"]

# Size limits that keep every spec fast in the interpreter and in ONNX Runtime.
MAX_CHANNELS = 8
MAX_SIDE = 19
MAX_ELEMENTS = 4096          # per sample, per tensor
MAX_DENSE_WEIGHTS = 20000


# ---------------------------------------------------------------------------------------------
# Specs as data, and their YAML
# ---------------------------------------------------------------------------------------------

@dataclass
class Layer:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)   # empty: written as a bare kind


@dataclass
class Spec:
    name: str
    input: tuple[int, int, int]          # channels, height, width
    layers: list[Layer]
    comments: list[str] = field(default_factory=list)
    output: str | None = None            # top-level `output:`; None: the last layer

    def to_yaml(self) -> str:
        lines = [f"# {c}" if c else "#" for c in self.comments]
        c, h, w = self.input
        lines.append(f"name: {_scalar(self.name)}")
        lines.append(f"input: {{channels: {c}, height: {h}, width: {w}}}")
        if self.output is not None:
            lines.append(f"output: {_scalar(self.output)}")
        lines.append("layers:")
        for layer in self.layers:
            if layer.options:
                lines.append(f"  - {layer.kind}: {_scalar(layer.options)}")
            else:
                lines.append(f"  - {layer.kind}")
        return "\n".join(lines) + "\n"

    def copy(self) -> "Spec":
        return copy.deepcopy(self)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: Any) -> str:
    """YAML flow text of a value (the YAML 1.2 core schema cnnc reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("no NaN or infinity in specs")
        text = repr(value)
        return text if any(ch in text for ch in ".e") else text + ".0"
    if isinstance(value, str):
        if _PLAIN.match(value) and value.lower() not in _RESERVED:
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as YAML")


def load_spec(path: str | Path) -> Spec:
    """Reads a spec (for example a bundled model) into a `Spec` the shrinker can edit, `from:`
    options and `output:` included. Reads the YAML 1.2 float forms (`1e-5`) as floats; drops
    `labels`, `weights` and `preprocess`, which the differential tests do not use."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
        list("-+0123456789."))
    document = yaml.load(Path(path).read_text(encoding="utf-8-sig"), Loader=Loader)
    inp = document["input"]
    layers = []
    for entry in document["layers"]:
        if isinstance(entry, str):
            layers.append(Layer(entry))
        else:
            ((kind, options),) = entry.items()
            layers.append(Layer(kind, dict(options or {})))
    output = document.get("output")
    return Spec(name=str(document["name"]), input=(inp["channels"], inp["height"], inp["width"]), layers=layers,
                output=None if output is None else str(output))


# ---------------------------------------------------------------------------------------------
# The graph a spec describes (docs/spec.md's naming and `from:` rules)
# ---------------------------------------------------------------------------------------------

def sugar_kind(layer: Layer) -> str | None:
    """The kind of the layer that a layer's `activation:` sugar adds, if any."""
    activation = layer.options.get("activation")
    if activation is None:
        return None
    return activation if isinstance(activation, str) else next(iter(activation))


def default_name(kind: str, count: int) -> str:
    """The default name of the `count`-th layer of a kind (counting from 1, `activation:` sugar
    layers included): `conv3`, `relu6_2`."""
    return f"{kind}{'_' if kind[-1].isdigit() else ''}{count}"


def layer_names(spec: Spec) -> list[str]:
    """The name of each written layer: its `name:`, else its default name. `from: NAME` reads that
    layer's result after its `activation:` sugar."""
    counters: dict[str, int] = {}
    names = []
    for layer in spec.layers:
        for kind in filter(None, (layer.kind, sugar_kind(layer))):
            counters[kind] = counters.get(kind, 0) + 1
        explicit = layer.options.get("name")
        names.append(str(explicit) if explicit is not None else default_name(layer.kind, counters[layer.kind]))
    return names


def references(layer: Layer) -> list[str] | None:
    """A layer's `from:` as a list of names, or None when it reads the layer before it."""
    source = layer.options.get("from")
    if source is None:
        return None
    return [str(x) for x in source] if isinstance(source, list) else [str(source)]


def layer_inputs(spec: Spec) -> list[list[str]]:
    """The names each written layer reads: its `from:`, else the layer written before it (`input`
    for the first)."""
    names = layer_names(spec)
    return [references(layer) or [names[i - 1] if i else "input"] for i, layer in enumerate(spec.layers)]


def used_layers(spec: Spec) -> set[int]:
    """Indexes of the written layers whose results reach the output (`output:`, else the last)."""
    names = layer_names(spec)
    index = {name: i for i, name in enumerate(names)}
    inputs = layer_inputs(spec)
    stack = [index.get(spec.output, len(names) - 1) if spec.output is not None else len(names) - 1]
    used: set[int] = set()
    while stack:
        i = stack.pop()
        if i in used or i < 0:
            continue
        used.add(i)
        stack.extend(index[name] for name in inputs[i] if name in index)
    return used


# ---------------------------------------------------------------------------------------------
# The spec rules the generator follows (docs/spec.md)
# ---------------------------------------------------------------------------------------------

def pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def resolve_padding(padding: Any, kernel: tuple[int, int], stride: tuple[int, int],
                    dilation: tuple[int, int], size: tuple[int, int]) -> list[int]:
    """[top, bottom, left, right] of a `padding` value."""
    if padding is None or padding == "valid":
        return [0, 0, 0, 0]
    if padding == "same":
        sides = []
        for k, s, d, n in zip(kernel, stride, dilation, size):
            extent = d * (k - 1) + 1
            out = -(-n // s)
            total = max(0, (out - 1) * s + extent - n)
            sides += [total // 2, total - total // 2]
        return sides
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return list(padding)


def output_side(n: int, before: int, after: int, extent: int, stride: int, ceil_mode: bool) -> int:
    span = n + before + after - extent
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= n + before:
        out -= 1
    return out


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------

class _Draw:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counters: dict[str, int] = {}
        self.names: set[str] = set()
        self.features: set[str] = set()

    def tag(self, *features: str) -> None:
        self.features.update(features)

    # Names: explicit ones now and then, never equal to a default name of any kind.
    def name_for(self, kind: str, options: dict) -> str:
        """Counts a new layer of `kind`, sometimes gives it an explicit `name:`; returns its name."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        default = default_name(kind, self.counters[kind])
        self.names.add(default)
        if self.rng.random() < 0.15:
            for _ in range(5):
                candidate = self.rng.choice(["features.{}", "block{}.op", "layer {}", "x{}", "stage-{}"]).format(
                    self.rng.randrange(100))
                if candidate not in self.names:
                    self.names.add(candidate)
                    options["name"] = candidate
                    return candidate
        return default

    def reserve_default(self, kind: str) -> None:
        """An `activation:` sugar layer takes its kind's counter like a written layer."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        self.names.add(default_name(kind, self.counters[kind]))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def side_pair(self, low: int, high: int, square: float = 0.6) -> Any:
        a = self.rng.randint(low, high)
        if self.chance(square):
            return a
        return [a, self.rng.randint(low, high)]

    def padding(self, limit: tuple[int, int], allow_same: bool = True) -> Any:
        """A padding value in one of the written forms, each side at most `limit` (h, w)."""
        lh, lw = limit
        form = self.rng.choice(["int", "pair", "four", "same", "valid", "none"] if allow_same else
                               ["int", "pair", "four", "valid", "none"])
        if form == "int":
            return self.rng.randint(0, min(lh, lw))
        if form == "pair":
            return [self.rng.randint(0, lh), self.rng.randint(0, lw)]
        if form == "four":
            return [self.rng.randint(0, lh), self.rng.randint(0, lh), self.rng.randint(0, lw), self.rng.randint(0, lw)]
        return form if form in ("same", "valid") else None

    def activation(self) -> Any:
        kind = self.rng.choice(ACTIVATIONS)
        if kind == "leaky_relu" and self.chance(0.5):
            return {"leaky_relu": {"alpha": self.rng.choice([0.2, 0.05, 0.3])}}
        if kind == "elu" and self.chance(0.5):
            return {"elu": {"alpha": self.rng.choice([0.5, 1.5, 2.0])}}
        return kind

    def weight_list(self, shape: list[int], positive: bool = False) -> Any:
        if len(shape) == 1:
            low = 0.1 if positive else -1.0
            return [round(self.rng.uniform(low, 1.0), 3) or 0.5 for _ in range(shape[0])]
        return [self.weight_list(shape[1:], positive) for _ in range(shape[0])]


def _fits(size: tuple[int, int], pads: list[int], extent: tuple[int, int]) -> bool:
    return extent[0] <= size[0] + pads[0] + pads[1] and extent[1] <= size[1] + pads[2] + pads[3]


def _conv(d: _Draw, shape: tuple[int, int, int]) -> tuple[Layer, tuple[int, int, int]] | None:
    c, h, w = shape
    rng = d.rng
    for _ in range(40):
        kernel = d.side_pair(1, 5)
        stride = d.side_pair(1, 3, square=0.7) if d.chance(0.35) else None
        dilation = d.side_pair(1, 3, square=0.7) if d.chance(0.25) else None
        k, s, dl = pair(kernel), pair(stride or 1), pair(dilation or 1)
        extent = (dl[0] * (k[0] - 1) + 1, dl[1] * (k[1] - 1) + 1)
        padding = d.padding((3, 3)) if d.chance(0.75) else None
        pads = resolve_padding(padding, k, s, dl, (h, w))
        if not _fits((h, w), pads, extent):
            continue
        mode = rng.choice(PADDING_MODES) if any(pads) and d.chance(0.6) else (
            rng.choice(PADDING_MODES) if d.chance(0.1) else None)
        if mode == "reflect" and (max(pads[:2]) >= h or max(pads[2:]) >= w):
            continue
        if mode == "circular" and (max(pads[:2]) > h or max(pads[2:]) > w):
            continue
        # Groups: depthwise, grouped or plain.
        groups = 1
        roll = rng.random()
        if roll < 0.2 and c > 1:
            groups = c
        elif roll < 0.35:
            divisors = [g for g in range(2, c + 1) if c % g == 0]
            if divisors:
                groups = rng.choice(divisors)
        multiplier = rng.randint(1, max(1, MAX_CHANNELS // groups))
        channels = groups * multiplier
        out_h = output_side(h, pads[0], pads[1], extent[0], s[0], False)
        out_w = output_side(w, pads[2], pads[3], extent[1], s[1], False)
        if channels * out_h * out_w > MAX_ELEMENTS:
            continue
        options: dict[str, Any] = {}
        d.name_for("conv", options)
        options["channels"] = channels
        options["kernel"] = kernel
        if stride is not None:
            options["stride"] = stride
        if dilation is not None:
            options["dilation"] = dilation
        if padding is not None:
            options["padding"] = padding
        if mode is not None:
            options["padding_mode"] = mode
            if mode == "constant" and d.chance(0.8):
                options["padding_value"] = rng.choice([0.5, -1.25, 2.0, 0.0, -0.3])
        if groups > 1 or d.chance(0.05):
            options["groups"] = groups
        if d.chance(0.15):
            options["in_channels"] = c
        # Inline weights now and then: one 2-D filter (normalized or not), or the full tensor.
        per_group = c // groups
        roll = rng.random()
        # Inline values are not scaled by the fan-in as He-normal weights are: keep the fan-in
        # small, or the sums grow into the hundreds and float32 rounding alone (in cnnc and in
        # ONNX Runtime alike) exceeds the tolerance wherever a result cancels to near zero.
        if per_group * k[0] * k[1] > 16:
            roll = 1.0
        if roll < 0.08:
            positive = d.chance(0.6)
            options["weight"] = d.weight_list([k[0], k[1]], positive=positive)
            if positive and d.chance(0.7):
                options["normalize"] = True
        elif roll < 0.13 and channels * per_group * k[0] * k[1] <= 64:
            options["weight"] = d.weight_list([channels, per_group, k[0], k[1]])
        roll = rng.random()
        if roll < 0.15:
            options["bias"] = False
        elif roll < 0.22:
            options["bias"] = d.weight_list([channels])
        elif roll < 0.27:
            options["bias"] = True
        if d.chance(0.2):
            options["activation"] = d.activation()
        d.tag("conv")
        if shape[1] == 1 and shape[2] == 1:
            d.tag("conv on a flat input")
        if any(pads):
            d.tag(f"conv padding_mode {mode or 'zeros'}")
        d.tag(*_padding_tags("conv", padding, pads))
        if k[0] != k[1]:
            d.tag("conv non-square kernel")
        if max(s) > 1:
            d.tag("conv stride")
        if max(dl) > 1:
            d.tag("conv dilation")
        if groups > 1:
            d.tag("conv depthwise" if groups == c else "conv groups")
        if "weight" in options:
            d.tag("conv inline filter" if len(k) == 2 and not isinstance(options["weight"][0][0], list) else "conv inline weight")
        if options.get("normalize"):
            d.tag("conv normalize")
        if options.get("bias") is False:
            d.tag("conv no bias")
        if isinstance(options.get("bias"), list):
            d.tag("conv inline bias")
        if "activation" in options:
            d.tag("activation sugar")
        return Layer("conv", options), (channels, out_h, out_w)
    return None


def _pool(d: _Draw, kind: str, shape: tuple[int, int, int]) -> tuple[Layer, tuple[int, int, int]] | None:
    c, h, w = shape
    for _ in range(40):
        kernel = d.side_pair(1, 4, square=0.7)
        k = pair(kernel)
        stride = d.side_pair(1, 3, square=0.7) if d.chance(0.5) else None
        s = pair(stride) if stride is not None else k
        padding = d.padding((k[0] - 1, k[1] - 1)) if d.chance(0.6) else None
        pads = resolve_padding(padding, k, s, (1, 1), (h, w))
        if pads[0] >= k[0] or pads[1] >= k[0] or pads[2] >= k[1] or pads[3] >= k[1]:
            continue
        if not _fits((h, w), pads, k):
            continue
        ceil_mode = d.chance(0.4)
        out_h = output_side(h, pads[0], pads[1], k[0], s[0], ceil_mode)
        out_w = output_side(w, pads[2], pads[3], k[1], s[1], ceil_mode)
        options: dict[str, Any] = {}
        d.name_for(kind, options)
        options["kernel"] = kernel
        if stride is not None:
            options["stride"] = stride
        if padding is not None:
            options["padding"] = padding
        if ceil_mode or d.chance(0.1):
            options["ceil_mode"] = ceil_mode
        if kind == "avgpool" and (any(pads) or d.chance(0.1)):
            options["count_include_pad"] = d.chance(0.5)
        d.tag(kind)
        if h == 1 and w == 1:
            d.tag(f"{kind} on a flat input")
        d.tag(*_padding_tags(kind, padding, pads))
        floor_h = output_side(h, pads[0], pads[1], k[0], s[0], False)
        floor_w = output_side(w, pads[2], pads[3], k[1], s[1], False)
        overhang = (out_h, out_w) != (floor_h, floor_w)
        if ceil_mode:
            d.tag(f"{kind} ceil_mode")
        if overhang:
            d.tag(f"{kind} ceil_mode overhang")
        for n, before, after, kk, ss in ((h, pads[0], pads[1], k[0], s[0]), (w, pads[2], pads[3], k[1], s[1])):
            if ceil_mode and output_side(n, before, after, kk, ss, True) != -(-(n + before + after - kk) // ss) + 1:
                d.tag(f"{kind} ceil_mode dropped window")
        if kind == "avgpool" and any(pads):
            d.tag(f"avgpool count_include_pad {str(options['count_include_pad']).lower()}")
            if options["count_include_pad"] and overhang:
                d.tag("avgpool count_include_pad true with overhang")
        return Layer(kind, options), (c, out_h, out_w)
    return None


def _padding_tags(kind: str, padding: Any, pads: list[int]) -> list[str]:
    tags = []
    if padding == "same":
        tags.append(f"{kind} padding same")
        if pads[0] != pads[1] or pads[2] != pads[3]:
            tags.append(f"{kind} padding same asymmetric")
    elif isinstance(padding, list) and len(padding) == 4 and (pads[0] != pads[1] or pads[2] != pads[3]):
        tags.append(f"{kind} padding asymmetric")
    elif isinstance(padding, list) and len(padding) == 2 and padding[0] != padding[1]:
        tags.append(f"{kind} padding pair")
    return tags


def _activation_layer(d: _Draw, kind: str) -> Layer:
    options: dict[str, Any] = {}
    d.name_for(kind, options)
    if kind == "leaky_relu" and d.chance(0.6):
        options["alpha"] = d.rng.choice([0.01, 0.2, 0.5])
    if kind == "elu" and d.chance(0.6):
        options["alpha"] = d.rng.choice([0.3, 1.0, 1.7])
    d.tag(kind)
    if "alpha" in options:
        d.tag(f"{kind} alpha")
    return Layer(kind, options)


def _conv_transpose(d: _Draw, shape: tuple[int, int, int]) -> tuple[Layer, tuple[int, int, int]] | None:
    """A transposed convolution with any stride, crop (padding), output_padding, dilation, groups."""
    c, h, w = shape
    rng = d.rng
    for _ in range(40):
        kernel = d.side_pair(1, 4)
        stride = d.side_pair(1, 3, square=0.7) if d.chance(0.6) else None
        dilation = d.side_pair(1, 3, square=0.7) if d.chance(0.25) else None
        k, s, dl = pair(kernel), pair(stride or 1), pair(dilation or 1)
        padding = d.padding((2, 2), allow_same=False) if d.chance(0.5) else None
        padding = None if padding == "valid" else padding    # a crop is written as numbers only
        pads = resolve_padding(padding, k, s, dl, (h, w))
        limits = [max(a, b) - 1 for a, b in zip(s, dl)]
        output_padding = [rng.randint(0, limit) for limit in limits] if any(limits) and d.chance(0.5) else None
        op = output_padding or [0, 0]
        out_h = (h - 1) * s[0] - pads[0] - pads[1] + dl[0] * (k[0] - 1) + op[0] + 1
        out_w = (w - 1) * s[1] - pads[2] - pads[3] + dl[1] * (k[1] - 1) + op[1] + 1
        if out_h < 1 or out_w < 1 or max(out_h, out_w) > 2 * MAX_SIDE:
            continue
        groups = 1
        divisors = [g for g in range(2, c + 1) if c % g == 0]
        if divisors and d.chance(0.3):
            groups = rng.choice(divisors)
        channels = groups * rng.randint(1, max(1, MAX_CHANNELS // groups))
        if channels * out_h * out_w > MAX_ELEMENTS:
            continue
        options: dict[str, Any] = {}
        d.name_for("conv_transpose", options)
        options["channels"] = channels
        options["kernel"] = kernel
        for key, value in (("stride", stride), ("dilation", dilation), ("padding", padding),
                           ("output_padding", output_padding if output_padding is None or op[0] != op[1] else op[0])):
            if value is not None:
                options[key] = value
        if groups > 1:
            options["groups"] = groups
        if d.chance(0.1):
            options["in_channels"] = c
        per_group = channels // groups
        # Full inline weights [in][out/groups][kh][kw] only for small fan-ins (see _conv).
        if c // groups * k[0] * k[1] <= 16 and c * per_group * k[0] * k[1] <= 64 and d.chance(0.12):
            options["weight"] = d.weight_list([c, per_group, k[0], k[1]])
            d.tag("conv_transpose inline weight")
        roll = rng.random()
        if roll < 0.15:
            options["bias"] = False
        elif roll < 0.22:
            options["bias"] = d.weight_list([channels])
        if d.chance(0.2):
            options["activation"] = d.activation()
            d.tag("activation sugar")
        d.tag("conv_transpose")
        if max(s) > 1:
            d.tag("conv_transpose stride")
        if any(pads):
            d.tag("conv_transpose padding")
        if any(op):
            d.tag("conv_transpose output_padding")
        if any(p >= st for p, st in zip(op, s)):
            d.tag("conv_transpose output_padding not below the stride")
        if max(dl) > 1:
            d.tag("conv_transpose dilation")
        if groups > 1:
            d.tag("conv_transpose groups")
        return Layer("conv_transpose", options), (channels, out_h, out_w)
    return None


def _upsample(d: _Draw, shape: tuple[int, int, int]) -> tuple[Layer, tuple[int, int, int]] | None:
    c, h, w = shape
    for _ in range(10):
        scale = d.side_pair(1, 3, square=0.5)
        sh, sw = pair(scale)
        if (sh, sw) == (1, 1) or c * h * sh * w * sw > MAX_ELEMENTS or max(h * sh, w * sw) > 2 * MAX_SIDE:
            continue
        options: dict[str, Any] = {}
        d.name_for("upsample", options)
        options["scale"] = scale
        mode = d.rng.choice(["nearest", "bilinear"])
        if mode == "bilinear" or d.chance(0.5):
            options["mode"] = mode
        d.tag("upsample", f"upsample {mode}")
        if sh != sw:
            d.tag("upsample non-square scale")
        return Layer("upsample", options), (c, h * sh, w * sw)
    return None


class _Net:
    """The layers drawn so far, the value the next layer reads by default (the last layer's), and
    every value a `from:` may name, with its shape and whether ONNX holds it as [N, F]."""

    def __init__(self, d: _Draw, shape: tuple[int, int, int]) -> None:
        self.d = d
        self.layers: list[Layer] = []
        self.current = "input"
        self.shape = shape
        self.values: dict[str, tuple[int, int, int]] = {"input": shape}
        self.flat_2d: dict[str, bool] = {"input": False}

    def append(self, layer: Layer, shape: tuple[int, int, int], source: str | list[str] | None = None) -> str:
        """Adds a layer reading `source` (default: the current value) and returns its name."""
        d = self.d
        name = layer.options.get("name") or default_name(layer.kind, d.counters[layer.kind])
        sources = [self.current] if source is None else [source] if isinstance(source, str) else source
        if source is not None and sources != [self.current]:
            layer.options["from"] = source
            if isinstance(source, str) and self.layers and source != "input":
                d.tag("branch written out of order")
            if "input" in sources and self.current != "input":
                d.tag("from input")
        _sugar(d, layer)
        self.layers.append(layer)
        if layer.kind in ("flatten", "dense"):
            self.flat_2d[name] = True
        elif layer.kind in ("add", "mul", "concat"):
            self.flat_2d[name] = all(self.flat_2d[x] for x in sources)
        else:
            self.flat_2d[name] = self.flat_2d[sources[0]] and layer.kind in ACTIVATIONS + ["batchnorm", "dropout"]
        self.current, self.shape = name, shape
        self.values[name] = shape
        return name

    def new(self, kind: str, options: dict[str, Any] | None = None) -> Layer:
        """A layer of `kind` with a name drawn first (explicit now and then), then `options`."""
        named: dict[str, Any] = {}
        self.d.name_for(kind, named)
        return Layer(kind, named | (options or {}))


def _same_conv(net: _Net, channels: int, kernel: int = 3, dilation: int = 1, **options: Any) -> Layer:
    """A stride-1 convolution that keeps the plane (`padding: same`, or its number for odd kernels)."""
    extent = dilation * (kernel - 1) + 1
    padding = "same" if extent % 2 == 0 or net.d.chance(0.5) else extent // 2
    return net.new("conv", {"channels": channels, "kernel": kernel, "padding": padding}
                   | ({"dilation": dilation} if dilation > 1 else {}) | options)


def _merge(net: _Net, kind: str, sources: list[str], shape: tuple[int, int, int], sugar: bool = True) -> str:
    """An add, mul or concat of `sources`, sometimes with `activation:` sugar (add and mul)."""
    d = net.d
    options: dict[str, Any] = {}
    layer = net.new(kind, options)
    if sugar and kind in ("add", "mul") and d.chance(0.3):
        layer.options["activation"] = d.rng.choice(["relu", "relu6", "sigmoid", "tanh", "silu"])
        d.tag(f"{kind} activation sugar")
    if kind == "add" and len(sources) >= 3:
        d.tag("add of 3 inputs")
    if len({net.flat_2d[x] for x in sources}) > 1:
        d.tag("merge of mixed flat ranks")
    return net.append(layer, shape, sources)


def _residual_block(net: _Net) -> None:
    """conv-bn-relu-conv-bn plus an identity or 1×1 projection shortcut, add, relu."""
    d, x = net.d, net.current
    c, h, w = net.shape
    stride = 2 if min(h, w) >= 4 and d.chance(0.4) else 1
    out = c if stride == 1 and d.chance(0.6) else d.rng.randint(1, MAX_CHANNELS)
    out_h, out_w = -(-h // stride), -(-w // stride)
    if out * h * w > MAX_ELEMENTS:
        return
    projection = stride > 1 or out != c

    def shortcut() -> str:
        layer = net.new("conv", {"channels": out, "kernel": 1, "bias": False} | ({"stride": stride} if stride > 1 else {}))
        name = net.append(layer, (out, out_h, out_w), x)
        if d.chance(0.5):
            name = net.append(net.new("batchnorm"), (out, out_h, out_w))
        return name

    skip = shortcut() if projection and d.chance(0.5) else None
    net.append(net.new("conv", {"channels": out, "kernel": 3, "padding": 1, "bias": False}
                                | ({"stride": stride} if stride > 1 else {})), (out, out_h, out_w), x)
    net.append(net.new("batchnorm"), (out, out_h, out_w))
    net.append(net.new("relu"), (out, out_h, out_w))
    net.append(net.new("conv", {"channels": out, "kernel": 3, "padding": 1, "bias": False}), (out, out_h, out_w))
    main = net.append(net.new("batchnorm"), (out, out_h, out_w))
    if projection and skip is None:
        skip = shortcut()
    skip = skip or x
    name = _merge(net, "add", [main, skip] if d.chance(0.5) else [skip, main], (out, out_h, out_w))
    if "activation" not in net.layers[-1].options:
        net.append(net.new("relu"), (out, out_h, out_w), name)
    d.tag("residual block", "residual projection shortcut" if projection else "residual identity shortcut")


def _inverted_residual_block(net: _Net) -> None:
    """1×1 expansion, depthwise 3×3, 1×1 linear bottleneck; add when the shapes allow; relu6."""
    d, x = net.d, net.current
    c, h, w = net.shape
    expanded = min(MAX_CHANNELS, c * d.rng.randint(2, 4))
    stride = 2 if min(h, w) >= 4 and d.chance(0.3) else 1
    out = c if d.chance(0.7) else d.rng.randint(1, MAX_CHANNELS)
    out_h, out_w = -(-h // stride), -(-w // stride)
    if expanded * h * w > MAX_ELEMENTS:
        return
    sugar = d.chance(0.5)
    net.append(net.new("conv", {"channels": expanded, "kernel": 1} | ({"activation": "relu6"} if sugar else {})),
               (expanded, h, w), x)
    if not sugar:
        net.append(net.new("relu6"), (expanded, h, w))
    net.append(net.new("conv", {"channels": expanded, "kernel": 3, "padding": 1, "groups": expanded}
                                | ({"stride": stride} if stride > 1 else {})), (expanded, out_h, out_w))
    net.append(net.new("relu6"), (expanded, out_h, out_w))
    project = net.append(net.new("conv", {"channels": out, "kernel": 1, "bias": False}), (out, out_h, out_w))
    if d.chance(0.5):
        project = net.append(net.new("batchnorm"), (out, out_h, out_w))
    d.tag("inverted residual")
    if (out, out_h, out_w) == (c, h, w):
        _merge(net, "add", [x, project] if d.chance(0.7) else [project, x], (c, h, w))
        d.tag("inverted residual add")


def _squeeze_excitation(net: _Net) -> None:
    """global_avgpool → (1×1 convs or flatten + dense) → sigmoid → mul with the features."""
    d, x = net.d, net.current
    c, h, w = net.shape
    reduced = d.rng.randint(1, max(1, c // 2) + 1)
    net.append(net.new("global_avgpool"), (c, 1, 1), x)
    if d.chance(0.5):
        net.append(net.new("conv", {"channels": reduced, "kernel": 1, "activation": "relu"}), (reduced, 1, 1))
        gate = net.append(net.new("conv", {"channels": c, "kernel": 1}), (c, 1, 1))
        d.tag("squeeze-excitation with convs")
    else:
        net.append(net.new("flatten"), (c, 1, 1))
        net.append(net.new("dense", {"units": reduced, "activation": "relu"}), (reduced, 1, 1))
        gate = net.append(net.new("dense", {"units": c}), (c, 1, 1))
        d.tag("squeeze-excitation with dense layers")
    if d.chance(0.4):
        net.layers[-1].options["activation"] = "sigmoid"
        d.reserve_default("sigmoid")
    else:
        gate = net.append(net.new("sigmoid"), (c, 1, 1))
    first = d.chance(0.5)
    _merge(net, "mul", [gate, x] if first else [x, gate], (c, h, w))
    d.tag("mul gate first" if first else "mul gate second")


def _concat_block(net: _Net) -> None:
    """Branches that keep the plane, joined along the channels with (or without) the input."""
    d, x = net.d, net.current
    c, h, w = net.shape
    branches = []
    for _ in range(d.rng.randint(1, 2)):
        channels = d.rng.randint(1, 6)
        kernel = d.rng.choice([1, 2, 3, 5])
        dilation = 2 if kernel > 1 and d.chance(0.3) else 1
        branches.append((net.append(_same_conv(net, channels, kernel, dilation), (channels, h, w), x), channels))
    sources = [name for name, _ in branches]
    channels = [n for _, n in branches]
    if len(branches) == 1 or d.chance(0.5):
        position = d.rng.randint(0, len(sources))
        sources.insert(position, x)
        channels.insert(position, c)
        d.tag("concat skip")
    else:
        d.tag("concat of branches")
    if sum(channels) * h * w <= MAX_ELEMENTS:
        _merge(net, "concat", sources, (sum(channels), h, w))


def _transposed_up(d: _Draw, small: int, big: int, stride: int) -> tuple[int, int, list[int], int] | None:
    """Kernel, dilation, crops [before, after] and output_padding of a transposed convolution with
    `stride` that turns a side of `small` back into `big`, drawn among those that exist."""
    choices = []
    for kernel, dilation, before, after in itertools.product(range(1, 5), range(1, 4), range(3), range(3)):
        extra = big - ((small - 1) * stride - before - after + dilation * (kernel - 1) + 1)
        if 0 <= extra < max(stride, dilation) and (dilation == 1 or kernel > 1):
            choices.append((kernel, dilation, [before, after], extra))
    return d.rng.choice(choices) if choices else None


def _encoder_decoder(net: _Net) -> None:
    """Pool down, then upsample (nearest or bilinear) or conv_transpose back up, and concat or add
    with the encoder's skip."""
    d = net.d
    c, h, w = net.shape
    factor = [d.rng.choice([1, 2, 2, 3]) for _ in range(2)]
    if factor == [1, 1]:
        factor = [2, 2]
    if factor[0] > h or factor[1] > w:
        return
    if d.chance(0.6):
        encoder_channels = d.rng.randint(1, MAX_CHANNELS)
        skip = net.append(_same_conv(net, encoder_channels, activation="relu"), (encoder_channels, h, w))
    else:
        encoder_channels, skip = c, net.current
    small = (h // factor[0], w // factor[1])
    pool = d.rng.choice(["maxpool", "avgpool"])
    net.append(net.new(pool, {"kernel": factor[0] if factor[0] == factor[1] else factor}), (encoder_channels, *small))
    middle = d.rng.randint(1, MAX_CHANNELS)
    net.append(_same_conv(net, middle, activation="relu"), (middle, *small))
    merge = d.rng.choice(["concat", "add"])
    up_channels = encoder_channels if merge == "add" else d.rng.randint(1, MAX_CHANNELS)
    if h % factor[0] == 0 and w % factor[1] == 0 and d.chance(0.5):
        mode = d.rng.choice(["nearest", "bilinear"])
        net.append(net.new("upsample", {"scale": factor[0] if factor[0] == factor[1] else factor, "mode": mode}),
                   (middle, h, w))
        if middle != up_channels:
            net.append(net.new("conv", {"channels": up_channels, "kernel": 1}), (up_channels, h, w))
        d.tag(f"encoder-decoder upsample {mode}")
    else:
        axes = [_transposed_up(d, small[i], (h, w)[i], factor[i]) for i in range(2)]
        if None in axes:
            return
        (kh, dh, (top, bottom), oh), (kw, dw, (left, right), ow) = axes
        options: dict[str, Any] = {"channels": up_channels, "kernel": [kh, kw], "stride": factor}
        if (dh, dw) != (1, 1):
            options["dilation"] = [dh, dw]
        if top or bottom or left or right:
            options["padding"] = [top, bottom, left, right]
        if oh or ow:
            options["output_padding"] = [oh, ow]
        if up_channels % middle == 0 and middle > 1 and d.chance(0.3):
            options["groups"] = middle
        net.append(net.new("conv_transpose", options), (up_channels, h, w))
        d.tag("encoder-decoder conv_transpose")
    up = net.current
    total = encoder_channels + up_channels if merge == "concat" else up_channels
    if total * h * w <= MAX_ELEMENTS:
        _merge(net, merge, [skip, up] if d.chance(0.6) else [up, skip], (total, h, w))
        d.tag(f"encoder-decoder {merge}")


def _input_branch(net: _Net) -> None:
    """A branch from the network input, added to or joined with the current value."""
    d, x = net.d, net.current
    c, h, w = net.shape
    if (h, w) != net.values["input"][1:] or x == "input":
        return
    if d.chance(0.5):
        branch = net.append(_same_conv(net, c, d.rng.choice([1, 3])), (c, h, w), "input")
        _merge(net, "add", [x, branch] if d.chance(0.5) else [branch, x], (c, h, w))
    else:
        total = c + net.values["input"][0]
        if total * h * w <= MAX_ELEMENTS:
            _merge(net, "concat", [x, "input"] if d.chance(0.5) else ["input", x], (total, h, w))


def _parallel_add(net: _Net) -> None:
    """Two plane-keeping branches added to their input: an add of three values."""
    d, x = net.d, net.current
    c, h, w = net.shape
    first = net.append(_same_conv(net, c, d.rng.choice([1, 3])), (c, h, w), x)
    second = net.append(_same_conv(net, c, d.rng.choice([2, 3, 5])), (c, h, w), x)
    sources = [x, first, second]
    d.rng.shuffle(sources)
    _merge(net, "add", sources, (c, h, w))


def _spatial_gate(net: _Net) -> None:
    """A sigmoid branch of the same shape multiplied with its input (mul of one shape)."""
    d, x = net.d, net.current
    c, h, w = net.shape
    gate = net.append(_same_conv(net, c, d.rng.choice([1, 3]), activation="sigmoid"), (c, h, w), x)
    _merge(net, "mul", [x, gate] if d.chance(0.5) else [gate, x], (c, h, w))
    d.tag("mul of one shape")


def _flat_merge(net: _Net) -> None:
    """On a flat value: a dense branch added, multiplied or joined back."""
    d, x = net.d, net.current
    features = net.shape[0]
    kind = d.rng.choice(["add", "mul", "concat"])
    units = features if kind != "concat" else d.rng.randint(1, 12)
    if features * units > MAX_DENSE_WEIGHTS:
        return
    branch = net.append(net.new("dense", {"units": units} | ({"activation": "sigmoid"} if kind == "mul" else {})),
                        (units, 1, 1), x)
    _merge(net, kind, [x, branch] if d.chance(0.5) else [branch, x],
           (features + units if kind == "concat" else features, 1, 1))
    d.tag(f"flat {kind}")


SPATIAL_BLOCKS = [_residual_block, _inverted_residual_block, _squeeze_excitation, _concat_block, _encoder_decoder,
                  _input_branch, _parallel_add, _spatial_gate]


def _sugar(d: _Draw, layer: Layer) -> None:
    kind = sugar_kind(layer)
    if kind is not None:
        d.reserve_default(kind)


def _draw_spec(seed: int) -> tuple[Spec, set[str]]:
    d = _Draw(seed)
    rng = d.rng
    c = rng.randint(1, 4)
    h = rng.randint(1, MAX_SIDE) if rng.random() < 0.05 else rng.randint(3, MAX_SIDE)
    w = rng.randint(3, MAX_SIDE) if rng.random() < 0.7 else h
    if h % 2 or w % 2:
        d.tag("odd input side")
    if h != w:
        d.tag("non-square input")
    net = _Net(d, (c, h, w))
    # A spatial part, then (usually) flatten or a global pool, then a flat part. Half of the specs
    # are graphs: blocks with branches and merges among the chain's layers.
    graph = rng.random() < 0.5
    spatial_length = rng.randint(1, 6) + (rng.randint(0, 8) if graph else 0)
    flat_length = rng.randint(0, 4) if rng.random() < 0.75 else 0
    after_flat = False
    attempts = 0
    while len(net.layers) < spatial_length + flat_length and attempts < 200:
        attempts += 1
        channels, height, width = net.shape
        in_spatial_part = len(net.layers) < spatial_length
        transition = len(net.layers) >= spatial_length and flat_length > 0 and not after_flat
        made: tuple[Layer, tuple[int, int, int]] | None = None
        choice = "transition" if transition else rng.choices(
            ["conv", "pool", "activation", "batchnorm", "dropout", "dense", "conv_transpose", "upsample", "block"],
            weights=[45, 20, 23, 8, 4, 0, 6, 4, 30 if graph else 0] if in_spatial_part else
            [8, 8, 30, 8, 6, 40, 2, 2, 15 if graph else 0])[0]
        if choice == "transition":
            kind = rng.choice(["flatten", "flatten", "global_avgpool", "global_maxpool"])
            options: dict[str, Any] = {}
            d.name_for(kind, options)
            d.tag(kind)
            made = (Layer(kind, options), (channels * height * width, 1, 1) if kind == "flatten" else (channels, 1, 1))
        elif choice == "block":
            # The flat part's blocks keep a flat value flat, so that dense layers can follow.
            flat_blocks = [_flat_merge, _parallel_add, _spatial_gate] + ([_squeeze_excitation] if in_spatial_part else [])
            rng.choice(SPATIAL_BLOCKS if height * width > 1 else flat_blocks)(net)
            continue
        elif choice == "conv":
            made = _conv(d, net.shape)
        elif choice == "pool":
            made = _pool(d, rng.choice(["maxpool", "avgpool"]), net.shape)
        elif choice == "conv_transpose":
            made = _conv_transpose(d, net.shape)
        elif choice == "upsample":
            made = _upsample(d, net.shape)
        elif choice == "activation":
            made = (_activation_layer(d, rng.choice(ACTIVATIONS)), net.shape)
        elif choice == "batchnorm":
            options = {}
            d.name_for("batchnorm", options)
            if d.chance(0.4):
                options["eps"] = rng.choice([0.001, 0.1, 1e-05])
                d.tag("batchnorm eps")
            d.tag("batchnorm")
            made = (Layer("batchnorm", options), net.shape)
        elif choice == "dropout":
            options = {}
            d.name_for("dropout", options)
            if d.chance(0.6):
                options["rate"] = rng.choice([0.0, 0.25, 0.5])
            d.tag("dropout")
            made = (Layer("dropout", options), net.shape)
        elif height * width == 1:
            units = rng.randint(1, 12)
            if channels * units <= MAX_DENSE_WEIGHTS:
                options = {}
                d.name_for("dense", options)
                options["units"] = units
                if d.chance(0.15):
                    options["in_features"] = channels
                roll2 = rng.random()
                if roll2 < 0.15:
                    options["bias"] = False
                    d.tag("dense no bias")
                elif roll2 < 0.22:
                    options["bias"] = d.weight_list([units])
                    d.tag("dense inline bias")
                if channels <= 16 and channels * units <= 48 and d.chance(0.15):
                    options["weight"] = d.weight_list([units, channels])
                    d.tag("dense inline weight")
                if d.chance(0.3):
                    options["activation"] = d.activation()
                    d.tag("activation sugar")
                d.tag("dense")
                made = (Layer("dense", options), (units, 1, 1))
        if made is None:
            continue
        layer, new_shape = made
        if after_flat and layer.kind in ("conv", "maxpool", "avgpool", "batchnorm", "softmax") or \
                after_flat and layer.kind in ACTIVATIONS:
            d.tag(f"{layer.kind} after flatten")
        if not net.layers and d.chance(0.1):
            layer.options["from"] = "input"     # what the first layer reads anyway, written out
            d.tag("first layer from input")
        net.append(layer, new_shape)
        after_flat = after_flat or layer.kind == "flatten"
    spec = Spec(name=f"random {seed}", input=(c, h, w), layers=net.layers)
    if len(net.layers) > 2 and rng.random() < 0.08:
        # `output:` naming a layer before the last leaves the layers only it does not read unused.
        spec.output = layer_names(spec)[rng.randrange(len(net.layers) - 1)]
        d.tag("output names a mid layer")
    return spec, d.features


# Features every run of FEATURES-many specs covers (`generate(seed, focus=…)` forces one).
FEATURES = sorted(
    [f"conv padding_mode {m}" for m in PADDING_MODES]
    + ["conv padding same asymmetric", "conv padding asymmetric", "conv padding pair", "conv stride",
       "conv dilation", "conv groups", "conv depthwise", "conv non-square kernel", "conv no bias",
       "conv inline bias", "conv inline filter", "conv normalize", "conv inline weight", "conv on a flat input",
       "activation sugar"]
    + [f"{k} {f}" for k in ("maxpool", "avgpool") for f in
       ("padding same asymmetric", "padding asymmetric", "ceil_mode overhang", "ceil_mode dropped window", "on a flat input")]
    + ["avgpool count_include_pad true", "avgpool count_include_pad false",
       "avgpool count_include_pad true with overhang"]
    + ACTIVATIONS + ["leaky_relu alpha", "elu alpha", "batchnorm", "batchnorm eps", "dropout",
                     "global_avgpool", "global_maxpool", "flatten", "dense", "dense no bias",
                     "dense inline bias", "dense inline weight", "odd input side", "non-square input",
                     "conv after flatten", "maxpool after flatten", "batchnorm after flatten", "softmax after flatten"]
    # Graphs and the layers they brought.
    + ["conv_transpose stride", "conv_transpose padding", "conv_transpose output_padding",
       "conv_transpose output_padding not below the stride", "conv_transpose dilation", "conv_transpose groups",
       "conv_transpose inline weight", "upsample nearest", "upsample bilinear", "upsample non-square scale",
       "residual identity shortcut", "residual projection shortcut", "add activation sugar", "mul activation sugar",
       "add of 3 inputs", "mul of one shape", "inverted residual", "inverted residual add",
       "squeeze-excitation with convs", "squeeze-excitation with dense layers", "mul gate first", "mul gate second",
       "concat skip", "concat of branches", "encoder-decoder upsample nearest", "encoder-decoder upsample bilinear",
       "encoder-decoder conv_transpose", "encoder-decoder concat", "encoder-decoder add", "from input",
       "first layer from input", "branch written out of order", "output names a mid layer", "flat add", "flat mul",
       "flat concat", "merge of mixed flat ranks"])


def features_of(spec: Spec) -> set[str]:
    """The features `generate` recorded in a spec's comment."""
    for comment in spec.comments:
        if comment.startswith("features: "):
            return set(comment[len("features: "):].split(", "))
    return set()


def generate(seed: int, focus: str | None = None) -> Spec:
    """One random valid spec; the same seed (and focus) always gives the same spec. With `focus`
    (one of FEATURES), draws until the spec has that feature."""
    spec, found = _draw_spec(seed)
    if focus is not None:
        if focus not in FEATURES:
            raise ValueError(f"unknown feature {focus!r}")
        for attempt in range(1, 20000):
            if focus in found:
                break
            spec, found = _draw_spec(seed * 100003 + attempt)
        else:
            raise RuntimeError(f"no spec with {focus!r} drawn from seed {seed}")
    spec.name = f"random {seed}"
    spec.comments = [f"tools/random_specs.py seed {seed}" + (f", focus: {focus}" if focus else ""),
                     "features: " + ", ".join(sorted(found))]
    return spec


def generate_run(seed: int, index: int) -> Spec:
    """Spec `index` of the run with base `seed`: spec i focuses on FEATURES[i mod len], so any run
    of len(FEATURES) specs covers every feature."""
    return generate(seed * 1_000_003 + index, focus=FEATURES[index % len(FEATURES)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (spec i of a run is generate_run(seed, i))")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("-o", "--output-dir", help="write files here instead of printing")
    parser.add_argument("--coverage", action="store_true", help="print how many specs have each feature")
    args = parser.parse_args(argv)
    if args.coverage:
        counts = {f: 0 for f in FEATURES}
        for i in range(args.count):
            for f in features_of(generate_run(args.seed, i)):
                counts[f] = counts.get(f, 0) + 1
        for f, n in sorted(counts.items(), key=lambda item: item[1]):
            print(f"{n:6d}  {f}")
        return 0
    for i in range(args.count):
        spec = generate_run(args.seed, i)
        if args.output_dir:
            directory = Path(args.output_dir)
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"random-{args.seed}-{i:05d}.yaml").write_text(spec.to_yaml(), encoding="utf-8")
        else:
            print(f"--- # run seed {args.seed}, spec {i}")
            print(spec.to_yaml(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
