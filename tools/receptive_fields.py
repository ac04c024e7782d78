#!/usr/bin/env python3
"""Measures receptive fields through ONNX Runtime and compares them with `cnnc summary`.

For each spec, every `conv`, `maxpool` and `avgpool` layer before the first global layer gets its
receptive field measured: which input rows and columns can change each output unit.

How: the spec is exported (tools/cnnc_onnx.py) up to its last such layer with every convolution
weight 1 and every bias 0, and with activations, batchnorm, softmax and dropout replaced by
Identity, so every layer is monotone (non-decreasing in every input) and nothing cancels. One
batch holds an all-zero input and, for every row r (column c), an input that is zero except for a
large positive value in the whole row r (column c). An output unit depends on row r exactly when
its value for row r's input differs from its value for the zero input: positive weights add the
impulse along every path, and a max pool passes it on because the impulse dominates the window
(padding is −∞ for max pooling; a constant padding value is far smaller than the impulse). Whole
rows and columns suffice because the layers are separable per axis: unit (i, j) depends on pixel
(r, c) exactly when row r reaches row i and column c reaches column j.

The analytic field of unit i (per axis) is the span [centre + i·jump − (size − 1)/2,
centre + i·jump + (size − 1)/2] with size, jump and centre from `cnnc summary --format json`
(Araujo et al.'s recurrences, unclipped). Then:

* an **interior** unit — one none of whose paths touches padding or a ceil-mode overhang, at any
  layer — must depend on rows whose span is exactly the analytic span (dilation leaves holes inside
  the span, so the span is compared, not the set);
* a **border** unit must depend only on rows inside its analytic span, when every padding on its
  way holds constants (zeros or `constant`). With `reflect`, `replicate` or `circular` padding the
  padding repeats input pixels from elsewhere (circular padding wraps to the far side), so border
  units of those layers legitimately see outside the span and only interior units are checked.

The fixtures are sized so that every checked layer has interior units along both axes
(`--require-interior`, implied when no spec is named); in other specs deep layers may have none, and
are then checked on their border units only.

    tools/.venv/bin/python tools/receptive_fields.py [--cnnc PATH] [--require-interior] [SPEC ...]
      (default: Tests/Fixtures/receptive/*.yaml, with --require-interior)

Exit status 0 when every layer matches, 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cnnc_onnx  # noqa: E402

FIXTURES = cnnc_onnx.REPOSITORY_ROOT / "Tests" / "Fixtures" / "receptive"
WINDOW_KINDS = {"conv", "maxpool", "avgpool"}
IDENTITY_KINDS = {"relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softmax",
                  "batchnorm", "dropout"}
IMPULSE = 4096.0


@dataclass
class AxisReport:
    interior: int = 0
    border_checked: int = 0
    border_unchecked: int = 0


def clean_units(window_layers: list[dict], axis: int, input_size: int) -> list[np.ndarray]:
    """Per window layer, which output units (along one axis) have no path touching padding or a
    ceil-mode overhang."""
    clean = np.ones(input_size, dtype=bool)
    result = []
    for layer in window_layers:
        o = layer["options"]
        k, s = o["kernel"][axis], o["stride"][axis]
        d = o.get("dilation", [1, 1])[axis]
        before = o["padding"][2 * axis]
        n = layer["input_shape"][1 + axis]
        out = layer["output_shape"][1 + axis]
        assert len(clean) == n, (layer["name"], len(clean), n)
        new = np.zeros(out, dtype=bool)
        for unit in range(out):
            taps = unit * s - before + d * np.arange(k)
            new[unit] = bool(np.all((taps >= 0) & (taps < n)) and np.all(clean[taps.clip(0, n - 1)]))
        clean = new
        result.append(clean)
    return result


def measure(spec: Path, cnnc: str, log=print, require_interior: bool = False) -> list[str]:
    """Checks one spec; returns the problems found (empty when every layer matches). With
    `require_interior`, a layer without an interior unit along an axis is a problem too (the
    fixtures are sized so that every layer has one); otherwise it is only logged."""
    summary = cnnc_onnx.run_summary(spec, cnnc)
    layers = summary["layers"]
    checked = []
    for layer in layers:
        if layer["receptive_field"]["global"]:
            break
        if layer["kind"] in WINDOW_KINDS:
            checked.append(layer)
    if not checked:
        return [f"{spec}: no conv or pool layer with a local receptive field"]
    upto = checked[-1]["index"]
    unsupported = {l["kind"] for l in layers[:upto + 1]} - WINDOW_KINDS - IDENTITY_KINDS
    if unsupported:
        return [f"{spec}: layers of kind {sorted(unsupported)} before the last window layer"]

    weights = {}
    for layer in layers[:upto + 1]:
        o = layer["options"]
        if layer["kind"] == "conv":
            kh, kw = o["kernel"]
            weights[f"{layer['name']}.weight"] = np.ones((o["out_channels"], o["in_channels"] // o["groups"], kh, kw),
                                                         dtype=np.float32)
            weights[f"{layer['name']}.bias"] = np.zeros(o["out_channels"], dtype=np.float32)
    exported = cnnc_onnx.export_model(summary, weights, identity_kinds=IDENTITY_KINDS, upto=upto,
                                      extra_outputs=[l["name"] for l in checked])
    session = cnnc_onnx.make_session(exported.model, threads=2)
    channels, height, width = summary["input_shape"]
    inputs = np.zeros((1 + height + width, channels, height, width), dtype=np.float32)
    for r in range(height):
        inputs[1 + r, :, r, :] = IMPULSE
    for c in range(width):
        inputs[1 + height + c, :, :, c] = IMPULSE
    by_name = {r.name: r for r in exported.layers}
    names = [by_name[l["name"]].output for l in checked]
    outputs = dict(zip(names, session.run(names, {"input": inputs})))

    problems = []
    # Non-constant padding modes on the way to each layer (border units may then see anything).
    repeating = False
    repeating_at = {}
    for layer in layers[:upto + 1]:
        o = layer["options"]
        if layer["kind"] == "conv" and any(o["padding"]) and o["padding_mode"] in ("reflect", "replicate", "circular"):
            repeating = True
        repeating_at[layer["name"]] = repeating
    clean = [clean_units(checked, 0, height), clean_units(checked, 1, width)]
    for position, layer in enumerate(checked):
        values = outputs[by_name[layer["name"]].output]
        if not np.all(np.isfinite(values)):
            problems.append(f"{spec}: '{layer['name']}': non-finite values (impulse too large)")
            continue
        changed = values[1:] != values[:1]                 # [impulse, C, Ho, Wo]
        rf = layer["receptive_field"]
        reports = []
        for axis, (count, offset) in enumerate(((height, 1), (width, 1 + height))):
            impulses = changed[offset - 1:offset - 1 + count]        # [count, C, Ho, Wo]
            # Unit i along this axis depends on input line r when any unit of its row/column changed.
            depends = impulses.any(axis=(1, 3) if axis == 0 else (1, 2))   # [count, units]
            size, jump, centre = rf["size"][axis], rf["jump"][axis], rf["centre"][axis]
            report = AxisReport()
            for unit in range(depends.shape[1]):
                lines = np.nonzero(depends[:, unit])[0]
                low = centre + unit * jump - (size - 1) / 2
                high = centre + unit * jump + (size - 1) / 2
                where = f"{spec.name}: '{layer['name']}' {'row' if axis == 0 else 'column'} {unit}"
                if clean[axis][position][unit]:
                    report.interior += 1
                    if len(lines) == 0:
                        problems.append(f"{where}: interior unit depends on no input line; analytic span [{low:g}, {high:g}]")
                    elif (lines.min(), lines.max()) != (low, high):
                        problems.append(f"{where}: interior unit spans input lines [{lines.min()}, {lines.max()}] "
                                        f"(size {lines.max() - lines.min() + 1}, centre {(lines.min() + lines.max()) / 2:g}); "
                                        f"cnnc summary: [{low:g}, {high:g}] (size {size}, centre {centre + unit * jump:g})")
                elif repeating_at[layer["name"]]:
                    report.border_unchecked += 1
                else:
                    report.border_checked += 1
                    if len(lines) and (lines.min() < low or lines.max() > high):
                        problems.append(f"{where}: border unit depends on input lines [{lines.min()}, {lines.max()}], "
                                        f"outside the analytic span [{low:g}, {high:g}]")
            if report.interior == 0:
                message = (f"{spec.name}: '{layer['name']}' has no interior unit along the "
                           f"{'height' if axis == 0 else 'width'}, so only its border units were checked")
                if require_interior:
                    problems.append(message + ": enlarge the input")
                else:
                    log(f"  note: {message}")
            reports.append(report)
        h, w = reports
        log(f"  {layer['name']:<12} size {rf['size'][0]}×{rf['size'][1]}, jump {rf['jump'][0]}×{rf['jump'][1]}, "
            f"centre ({rf['centre'][0]:g}, {rf['centre'][1]:g}): interior rows/cols {h.interior}/{w.interior} exact, "
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
