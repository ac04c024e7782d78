#!/usr/bin/env python3
"""Seeded random generator of valid cnnc specs, for the differential tests.

Every spec it draws follows docs/spec.md's rules, so `cnnc check` must accept it: a rejected spec
is a bug of this generator (tools/differential.py checks every spec before using it). The draws
cover every layer kind and option — each padding mode, asymmetric, `[h, w]`, four-sided and `same`
paddings, strides, dilations, groups and depthwise convolutions, `ceil_mode`, `count_include_pad`
true and false, batchnorm `eps`, every activation with its options and as `activation:` sugar,
softmax, dropout, flatten, dense, global pools, inline weights (full, 2-D filters with
`normalize`, bias lists), explicit names, `in_channels`/`in_features`, odd and non-square inputs,
and layers after `flatten` — while keeping tensors small, so a spec runs in milliseconds.

    python tools/random_specs.py --seed 7 --count 3          # print three specs
    python tools/random_specs.py --seed 7 --count 500 -o DIR  # write DIR/random-7-0000.yaml, …

As a library: `generate(seed) -> Spec`, `Spec.to_yaml()`, and `Spec` values that the shrinker of
tools/differential.py edits (`Spec.layers` is a list of `Layer(kind, options)`).
"""
from __future__ import annotations

import argparse
import copy
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

    def to_yaml(self) -> str:
        lines = [f"# {c}" if c else "#" for c in self.comments]
        c, h, w = self.input
        lines.append(f"name: {_scalar(self.name)}")
        lines.append(f"input: {{channels: {c}, height: {h}, width: {w}}}")
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
    """Reads a spec (for example a bundled model) into a `Spec` the shrinker can edit. Reads the
    YAML 1.2 float forms (`1e-5`) as floats; drops `labels`, `weights` and `preprocess`, which
    the differential tests do not use."""
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
    return Spec(name=str(document["name"]), input=(inp["channels"], inp["height"], inp["width"]), layers=layers)


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
    def name_for(self, kind: str, options: dict) -> None:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        suffix = "_" if kind[-1].isdigit() else ""
        default = f"{kind}{suffix}{self.counters[kind]}"
        self.names.add(default)
        if self.rng.random() < 0.15:
            for _ in range(5):
                candidate = self.rng.choice(["features.{}", "block{}.op", "layer {}", "x{}", "stage-{}"]).format(
                    self.rng.randrange(100))
                if candidate not in self.names:
                    self.names.add(candidate)
                    options["name"] = candidate
                    return

    def reserve_default(self, kind: str) -> None:
        """An `activation:` sugar layer takes its kind's counter like a written layer."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        suffix = "_" if kind[-1].isdigit() else ""
        self.names.add(f"{kind}{suffix}{self.counters[kind]}")

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


def _sugar(d: _Draw, layer: Layer) -> None:
    activation = layer.options.get("activation")
    if activation is not None:
        d.reserve_default(activation if isinstance(activation, str) else next(iter(activation)))


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
    shape = (c, h, w)
    layers: list[Layer] = []
    # A spatial part, then (usually) flatten or a global pool, then a flat part.
    spatial_length = rng.randint(1, 6)
    flat_length = rng.randint(0, 4) if rng.random() < 0.75 else 0
    after_flat = False
    attempts = 0
    while len(layers) < spatial_length + flat_length and attempts < 200:
        attempts += 1
        channels, height, width = shape
        in_spatial_part = len(layers) < spatial_length
        transition = len(layers) == spatial_length and flat_length > 0 and not after_flat
        made: tuple[Layer, tuple[int, int, int]] | None = None
        choice = "transition" if transition else rng.choices(
            ["conv", "pool", "activation", "batchnorm", "dropout", "dense"],
            weights=[45, 20, 23, 8, 4, 0] if in_spatial_part else [8, 8, 30, 8, 6, 40])[0]
        if choice == "transition":
            kind = rng.choice(["flatten", "flatten", "global_avgpool", "global_maxpool"])
            options: dict[str, Any] = {}
            d.name_for(kind, options)
            d.tag(kind)
            made = (Layer(kind, options), (channels * height * width, 1, 1) if kind == "flatten" else (channels, 1, 1))
        elif choice == "conv":
            made = _conv(d, shape)
        elif choice == "pool":
            made = _pool(d, rng.choice(["maxpool", "avgpool"]), shape)
        elif choice == "activation":
            made = (_activation_layer(d, rng.choice(ACTIVATIONS)), shape)
        elif choice == "batchnorm":
            options = {}
            d.name_for("batchnorm", options)
            if d.chance(0.4):
                options["eps"] = rng.choice([0.001, 0.1, 1e-05])
                d.tag("batchnorm eps")
            d.tag("batchnorm")
            made = (Layer("batchnorm", options), shape)
        elif choice == "dropout":
            options = {}
            d.name_for("dropout", options)
            if d.chance(0.6):
                options["rate"] = rng.choice([0.0, 0.25, 0.5])
            d.tag("dropout")
            made = (Layer("dropout", options), shape)
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
        _sugar(d, layer)
        layers.append(layer)
        shape = new_shape
        after_flat = after_flat or layer.kind == "flatten"
    return Spec(name=f"random {seed}", input=(c, h, w), layers=layers), d.features


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
                     "conv after flatten", "maxpool after flatten", "batchnorm after flatten", "softmax after flatten"])


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
