#!/usr/bin/env python3
"""Measures receptive fields through ONNX Runtime and compares them with `cnnc summary`.

For each spec, every layer whose receptive field is local (not global) and given in numbers gets
its receptive field measured: which input rows and columns can change each output unit. Specs may
be graphs: branches, merges and unused layers are measured like the rest.

How: the layers those read (directly or not) are exported (tools/cnnc_onnx.py) with every
convolution and transposed-convolution weight 1/√fan-in and every bias 0, activations, batchnorm, softmax
and dropout replaced by Identity, upsampling kept, and `mul` exported as `Add` (a product with a
zero input would hide a dependency; a sum has the same dependencies and hides none). Every layer
is then monotone (non-decreasing in every input) and nothing cancels. One batch holds an all-zero
input and, for every row r (column c), an input that is zero except for a large positive value in
the whole row r (column c). An output unit depends on row r exactly when its value for row r's
input differs from its value for the zero input: positive weights add the impulse along every path,
a max pool passes it on because the impulse dominates the window (padding is −∞ for max pooling; a
constant padding value is far smaller than the impulse), bilinear interpolation passes it with a
positive weight. Whole rows and columns suffice because every layer acts on each axis separately;
along one axis, a unit's measured lines are the union over the units of the other axis, as the
summary's per-axis spans are.

The summary gives each unit's span exactly, per axis, as a repeating pattern: unit u depends on
input lines `spans[u mod P]` shifted by `floor(u / P) · S` (unclipped, as if the input went on past
its border; a null span depends on no input). Then:

* an **interior** unit — one none of whose paths touches padding, a ceil-mode overhang, a
  transposed convolution's missing input (rows past the input, output_padding) or bilinear
  clamping at the border; at a merge, a unit is interior when it is interior in every input and
  no input is constant (see below) — must
  depend on input lines whose first and last are exactly the span's ends (dilation and strided
  transposed convolutions leave holes inside the span, so the span is compared, not the set), or
  on none when the span is null;
* a **border** unit must depend only on lines inside its span (none for a null span) when every
  padding on its paths holds constants (zeros or `constant`). `reflect`, `replicate` and `circular`
  padding repeat input pixels from elsewhere (circular padding wraps to the far side), so border
  units of layers downstream of them legitimately see outside the span and only interior units are
  checked.

A layer that reads only padding along one axis (every unit, on every path) is constant: no
line impulse can show its spans, so it is skipped with a note. A merge with a constant input has
the same blind spot on that input's spans, so its units, and those downstream, are checked as
border units.

The summary's `size` (largest span), `size_min` (smallest, only when they differ), `jump` (S/P in
lowest terms) and `centre` (unit 0's span centre) must agree with the pattern too. Layers whose
branches move at different rates have no numbers (`{"global": false, "aligned": false}`) and are
skipped with a note.

The fixtures are sized so that every checked layer has interior units along both axes
(`--require-interior`, implied when no spec is named); in other specs deep layers may have none, and
are then checked on their border units only.

    tools/.venv/bin/python tools/receptive_fields.py [--cnnc PATH] [--require-interior] [SPEC ...]
      (default: Tests/Fixtures/receptive/*.yaml, with --require-interior)

Exit status 0 when every layer matches, 1 otherwise (also when the fixture folder holds no spec).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cnnc_onnx  # noqa: E402

FIXTURES = cnnc_onnx.REPOSITORY_ROOT / "Tests" / "Fixtures" / "receptive"
WINDOW_KINDS = {"conv", "maxpool", "avgpool"}
IDENTITY_KINDS = {"relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softmax",
                  "batchnorm", "dropout"}
MEASURED_KINDS = WINDOW_KINDS | IDENTITY_KINDS | {"conv_transpose", "upsample", "add", "mul", "concat"}
REPEATING_MODES = {"reflect", "replicate", "circular"}
AXES = ("height", "width")
IMPULSE = 4096.0


@dataclass
class AxisReport:
    interior: int = 0
    border_checked: int = 0
    border_unchecked: int = 0


def unit_span(pattern: dict, unit: int) -> tuple[int, int] | None:
    """Unit `unit`'s span of input lines along one axis from the summary's pattern, or None."""
    span = pattern["spans"][unit % pattern["period"]]
    if span is None:
        return None
    shift = unit // pattern["period"] * pattern["step"]
    return span[0] + shift, span[1] + shift


def clean_units(layer: dict, axis: int, inputs: list[np.ndarray]) -> np.ndarray:
    """Which output units of a layer (along one axis) have no path touching padding, a ceil-mode
    overhang, a transposed convolution's missing input or bilinear clamping, given the same for
    each of its inputs."""
    kind, o = layer["kind"], layer["options"]
    out = layer["output_shape"][1 + axis]
    clean = inputs[0]
    n = len(clean)
    result = np.zeros(out, dtype=bool)
    if kind in WINDOW_KINDS:
        k, s = o["kernel"][axis], o["stride"][axis]
        d, before = o.get("dilation", [1, 1])[axis], o["padding"][2 * axis]
        for unit in range(out):
            taps = unit * s - before + d * np.arange(k)
            result[unit] = bool(np.all((taps >= 0) & (taps < n)) and np.all(clean[taps.clip(0, n - 1)]))
    elif kind == "conv_transpose":
        k, s = o["kernel"][axis], o["stride"][axis]
        d, before = o["dilation"][axis], o["padding"][2 * axis]
        for unit in range(out):
            # Input i reaches output i·s − before + tap·d: the taps that land on this unit.
            sources = [(unit + before - tap * d) // s for tap in range(k) if (unit + before - tap * d) % s == 0]
            result[unit] = all(0 <= i < n and clean[i] for i in sources)
    elif kind == "upsample":
        s = o["scale"][axis]
        for unit in range(out):
            if o["mode"] == "nearest":
                result[unit] = clean[unit // s]
            else:
                # Source position (unit + ½)/s − ½ = (2·unit + 1 − s) / (2s); clamped below 0 or
                # when its right neighbour lies past the input.
                numerator = 2 * unit + 1 - s
                low = numerator // (2 * s)
                result[unit] = numerator >= 0 and low + 1 < n and clean[low] and clean[low + 1]
    elif kind in ("add", "mul", "concat"):
        # A C×1×1 gate (side 1) broadcasts over the other input's plane.
        result = np.logical_and.reduce([np.broadcast_to(c, (out,)) for c in inputs])
    else:
        result = clean.copy()
    return result


def reached_units(layer: dict, axis: int, inputs: list[np.ndarray]) -> np.ndarray:
    """Which output units of a layer (along one axis) read at least one input line (not only
    padding, missing transposed-convolution inputs or nothing), given the same for its inputs."""
    kind, o = layer["kind"], layer["options"]
    out = layer["output_shape"][1 + axis]
    reached = inputs[0]
    n = len(reached)
    result = np.zeros(out, dtype=bool)
    if kind in WINDOW_KINDS:
        k, s = o["kernel"][axis], o["stride"][axis]
        d, before = o.get("dilation", [1, 1])[axis], o["padding"][2 * axis]
        mode = o.get("padding_mode", "zeros")
        for unit in range(out):
            taps = unit * s - before + d * np.arange(k)
            # Reflect, replicate and circular padding read input lines too.
            if mode == "reflect":
                taps = np.abs(taps)
                taps = np.where(taps > n - 1, 2 * (n - 1) - taps, taps)
            elif mode == "replicate":
                taps = taps.clip(0, n - 1)
            elif mode == "circular":
                taps = taps % n
            result[unit] = bool(np.any(reached[taps[(taps >= 0) & (taps < n)]]))
    elif kind == "conv_transpose":
        k, s = o["kernel"][axis], o["stride"][axis]
        d, before = o["dilation"][axis], o["padding"][2 * axis]
        for unit in range(out):
            sources = [(unit + before - tap * d) // s for tap in range(k) if (unit + before - tap * d) % s == 0]
            result[unit] = any(0 <= i < n and reached[i] for i in sources)
    elif kind == "upsample":
        s = o["scale"][axis]
        for unit in range(out):
            if o["mode"] == "nearest":
                result[unit] = reached[unit // s]
            else:
                low = min(max(0, 2 * unit + 1 - s) // (2 * s), n - 1)
                result[unit] = reached[low] or reached[min(low + 1, n - 1)]
    elif kind in ("add", "mul", "concat"):
        result = np.logical_or.reduce([np.broadcast_to(r, (out,)) for r in inputs])
    else:
        result = reached.copy()
    return result


def pattern_problems(where: str, rf: dict) -> list[str]:
    """`size`, `size_min`, `jump` and `centre` against the pattern they summarize. `size_min` is
    given (for both axes) when the span length varies along either axis; an axis whose every span
    is null has size 0 and a null centre."""
    problems = []
    for axis, name in enumerate(AXES):
        pattern = rf["pattern"][name]
        lengths = [hi - lo + 1 for lo, hi in filter(None, pattern["spans"])]
        jump = Fraction(pattern["step"], pattern["period"])
        first = pattern["spans"][0]
        expected = {
            "size": max(lengths, default=0),
            "jump": [jump.numerator, jump.denominator],
            "centre": None if first is None else (first[0] + first[1]) / 2,
        }
        if "size_min" in rf or (lengths and min(lengths) != max(lengths)):
            expected["size_min"] = min(lengths, default=0)
        for key, value in expected.items():
            given = rf.get(key, [None, None])[axis]
            if given != value:
                problems.append(f"{where}: {key} along the {name} is {given}, but the pattern {pattern} gives {value}")
    return problems


def measure(spec: Path, cnnc: str, log=print, require_interior: bool = False) -> list[str]:
    """Checks one spec; returns the problems found (empty when every layer matches). With
    `require_interior`, a layer without an interior unit along an axis is a problem too (the
    fixtures are sized so that every layer has one); otherwise it is only logged."""
    summary = cnnc_onnx.run_summary(spec, cnnc)
    layers = summary["layers"]
    local = [layer for layer in layers if not layer["receptive_field"]["global"]]
    for layer in local:
        if "pattern" not in layer["receptive_field"]:
            log(f"  note: '{layer['name']}' meets branches moving at different rates: no numbers to check")
    checked = [layer for layer in local if "pattern" in layer["receptive_field"]]
    if not checked:
        return [f"{spec}: no layer with a local receptive field"]
    names = [layer["name"] for layer in checked]
    needed = cnnc_onnx.layers_needed(summary, names)
    exported_layers = [layer for layer in layers if layer["name"] in needed]
    unsupported = {layer["kind"] for layer in exported_layers} - MEASURED_KINDS
    if unsupported:
        return [f"{spec}: local layers read layers of kind {sorted(unsupported)}"]

    weights = {}
    for layer in exported_layers:
        o = layer["options"]
        if layer["kind"] in ("conv", "conv_transpose"):
            kh, kw = o["kernel"]
            shape = (o["out_channels"], o["in_channels"] // o["groups"], kh, kw) if layer["kind"] == "conv" \
                else (o["in_channels"], o["out_channels"] // o["groups"], kh, kw)
            # 1/√fan-in: positive (nothing cancels), and deep networks neither overflow nor underflow
            # float32 (all-ones weights overflow ResNet-20's last stage; 1/fan-in would underflow it).
            fan_in = shape[1] * kh * kw
            weights[f"{layer['name']}.weight"] = np.full(shape, 1 / np.sqrt(fan_in), dtype=np.float32)
            weights[f"{layer['name']}.bias"] = np.zeros(o["out_channels"], dtype=np.float32)
    exported = cnnc_onnx.export_model(summary, weights, identity_kinds=IDENTITY_KINDS, mul_as_add=True,
                                      output=names[-1], extra_outputs=names)
    session = cnnc_onnx.make_session(exported.model, threads=2)
    channels, height, width = summary["input_shape"]
    inputs = np.zeros((1 + height + width, channels, height, width), dtype=np.float32)
    for r in range(height):
        inputs[1 + r, :, r, :] = IMPULSE
    for c in range(width):
        inputs[1 + height + c, :, :, c] = IMPULSE
    values = [exported.layer(name).output for name in names]
    outputs = dict(zip(names, session.run(values, {"input": inputs})))

    # Per value: which units are interior along each axis, whether repeating padding is on a
    # path, whether it depends on the input at all (a constant has no measurable span), and
    # whether a merge on its way took a constant branch. Such a branch adds its spans along one
    # axis while its constancy along the other hides them from every line impulse, so its
    # units are checked as border units only.
    clean = {"input": [np.ones(height, dtype=bool), np.ones(width, dtype=bool)]}
    reached = {"input": [np.ones(height, dtype=bool), np.ones(width, dtype=bool)]}
    repeating, constant, constant_branch = {"input": False}, {"input": False}, {"input": False}
    for layer in exported_layers:
        name, sources, o = layer["name"], layer["inputs"], layer["options"]
        clean[name] = [clean_units(layer, axis, [clean[s][axis] for s in sources]) for axis in (0, 1)]
        reached[name] = [reached_units(layer, axis, [reached[s][axis] for s in sources]) for axis in (0, 1)]
        repeating[name] = any(repeating[s] for s in sources) or (
            layer["kind"] == "conv" and any(o["padding"]) and o["padding_mode"] in REPEATING_MODES)
        constant[name] = not reached[name][0].any() or not reached[name][1].any()
        constant_branch[name] = any(constant_branch[s] or (len(sources) > 1 and constant[s]) for s in sources)

    problems = []
    for layer in checked:
        name, rf = layer["name"], layer["receptive_field"]
        problems += pattern_problems(f"{spec.name}: '{name}'", rf)
        values = outputs[name]
        if not np.all(np.isfinite(values)):
            problems.append(f"{spec}: '{name}': non-finite values (impulse too large)")
            continue
        changed = values[1:] != values[:1]                 # [impulse, C, Ho, Wo]
        # Unit i along an axis depends on input line r when any unit of its row/column changed.
        depends = [changed[:height].any(axis=(1, 3)), changed[height:].any(axis=(1, 2))]   # [lines, units]
        if constant[name]:
            # Along one axis every unit reads only padding, so no line impulse along the other
            # axis can show its spans either.
            if changed.any():
                problems.append(f"{spec.name}: '{name}' reads only padding along one axis, yet changes with the input")
            log(f"  note: {spec.name}: '{name}' depends on no input line (along one axis every unit reads only "
                f"padding), so its spans cannot be measured")
            continue
        reports = []
        for axis in (0, 1):
            pattern = rf["pattern"][AXES[axis]]
            report = AxisReport()
            for unit in range(depends[axis].shape[1]):
                lines = np.nonzero(depends[axis][:, unit])[0]
                span = unit_span(pattern, unit)
                seen = f"[{lines.min()}, {lines.max()}]" if len(lines) else "none"
                where = f"{spec.name}: '{name}' {'row' if axis == 0 else 'column'} {unit}"
                if clean[name][axis][unit] and not constant_branch[name]:
                    report.interior += 1
                    if span is None and len(lines):
                        problems.append(f"{where}: interior unit depends on input lines {seen}; "
                                        f"cnnc summary: on none")
                    elif span is not None and (not len(lines) or (lines.min(), lines.max()) != span):
                        problems.append(f"{where}: interior unit depends on input lines {seen}; "
                                        f"cnnc summary: [{span[0]}, {span[1]}]")
                elif repeating[name]:
                    report.border_unchecked += 1
                else:
                    report.border_checked += 1
                    if len(lines) and (span is None or lines.min() < span[0] or lines.max() > span[1]):
                        problems.append(f"{where}: border unit depends on input lines {seen}, outside "
                                        f"its span {'(none)' if span is None else list(span)}")
            if report.interior == 0 and constant_branch[name]:
                log(f"  note: {spec.name}: '{name}' reads a constant branch, so only its border check applies")
            elif report.interior == 0:
                message = (f"{spec.name}: '{name}' has no interior unit along the {AXES[axis]}, "
                           f"so only its border units were checked")
                if require_interior:
                    problems.append(message + ": enlarge the input")
                else:
                    log(f"  note: {message}")
            reports.append(report)
        h, w = reports
        periods = "×".join(f"{rf['pattern'][a]['period']}/{rf['pattern'][a]['step']}" for a in AXES)
        jump = "×".join(f"{n}" if d == 1 else f"{n}/{d}" for n, d in rf["jump"])
        log(f"  {name:<16} size {rf['size'][0]}×{rf['size'][1]}, jump {jump}, period/step {periods}"
            f"{'' if rf['aligned'] else ', unaligned'}: interior rows/cols {h.interior}/{w.interior} exact, "
            f"border {h.border_checked}/{w.border_checked} inside the span"
            + (f", {h.border_unchecked}/{w.border_unchecked} not checked (repeating padding)"
               if h.border_unchecked or w.border_unchecked else ""))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Empirical receptive fields through ONNX Runtime vs cnnc summary.")
    parser.add_argument("specs", nargs="*", help="specs to check (default: Tests/Fixtures/receptive/*.yaml)")
    parser.add_argument("--cnnc", help="the cnnc executable (default: $CNNC, .build/debug/cnnc, or cnnc on PATH)")
    parser.add_argument("--require-interior", action="store_true",
                        help="fail a layer that has no interior unit along an axis (default for the fixtures)")
    args = parser.parse_args(argv)
    cnnc = args.cnnc or cnnc_onnx.default_cnnc()
    specs = [Path(s) for s in args.specs] or sorted(FIXTURES.glob("*.yaml"))
    if not specs:
        print(f"receptive fields: no spec in {FIXTURES}", file=sys.stderr)
        return 1
    require_interior = args.require_interior or not args.specs
    started = time.monotonic()
    problems, layers = [], 0
    for spec in specs:
        print(f"{spec}:", flush=True)
        lines: list[str] = []
        found = measure(spec, cnnc, log=lines.append, require_interior=require_interior)
        layers += sum(1 for line in lines if not line.lstrip().startswith("note:"))
        print("\n".join(lines), flush=True)
        for problem in found:
            print(f"  FAIL {problem}")
        problems += found
    print(f"receptive fields: {len(specs)} specs, {layers} layers, {len(problems)} problems "
          f"in {time.monotonic() - started:.1f}s")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
