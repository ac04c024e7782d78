#!/usr/bin/env python3
"""Differential tests: cnnc against ONNX Runtime on the bundled models and random specs.

For each case — every saved regression (Tests/Fixtures/differential/regressions/, always first),
every spec in models/, and `--count` random specs from tools/random_specs.py — the driver

1. checks the spec with `cnnc check` and reads `cnnc summary --format json`, whose memory plan it
   checks on its own terms (buffers alive at a common step never overlap; the arena holds every
   buffer and is at least the lower bound; the lower bound is the largest sum of live buffers,
   each rounded up to 64 bytes);
2. writes seeded weights with `cnnc init-weights --randomize-all` (unless every weight is inline);
3. exports the ONNX model (tools/cnnc_onnx.py; the spec's unused layers as extra outputs) and
   requires every layer's output shape in the summary to equal ONNX shape inference's, and its
   parameter and buffer counts to equal the sizes of the exported initializers;
4. runs a batch of seeded normal inputs through ONNX Runtime (the reference), `cnnc run`, the
   inferencer `cnnc build` makes (`--build-binaries N`: every regression and model and the first N
   random specs),
   and any extra runner (`--binary-command`), and requires every result to satisfy
   |result − reference| ≤ 1e-5 + 1e-4·|reference| element by element (numpy.allclose), reporting
   the worst element.

A failing case prints its seeds, is shrunk (unused layers dropped, branches cut at their merges,
layers dropped from the end and the middle with their readers rewired, options simplified,
channels and sides reduced, as long as `cnnc check` accepts the spec and the same kind of failure
remains) and the
smallest spec is saved in the regressions folder with its seeds in a comment header, so the next
run (and `swift test`) re-runs it first. A regression whose header has `# known-failure: WHY` is
reported as a known failure instead of a new one.

    tools/.venv/bin/python tools/differential.py --cnnc .build/debug/cnnc            # CI size
    tools/.venv/bin/python tools/differential.py --count 5000 --seed 7 --jobs 2      # long run

Exit status: 0 when every case agrees (known failures allowed), 1 otherwise, 2 for a usage error.

Adding a runner (the code generator's built binary, for example) is one function
`def run_x(case: Case) -> numpy.ndarray` returning the [N, …] output, appended to the runners list
in `main` (see `command_runner` for the shape of one).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cnnc_onnx  # noqa: E402
import random_specs  # noqa: E402
from random_specs import Spec  # noqa: E402

REPOSITORY_ROOT = cnnc_onnx.REPOSITORY_ROOT
REGRESSIONS = REPOSITORY_ROOT / "Tests" / "Fixtures" / "differential" / "regressions"
MODELS = REPOSITORY_ROOT / "models"
RTOL, ATOL = 1e-4, 1e-5
MODEL_WEIGHTS_SEED = 1
# Batch size per bundled model where the default (2) is too slow in the interpreter.
MODEL_BATCH = {"imagenet_stem": 1}


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

@dataclass
class Case:
    label: str                       # how reports name it
    spec_path: Path
    weights_seed: int
    input_seed: int
    batch: int = 2
    origin: str = ""                 # for a saved regression: how it was found
    known_failure: str | None = None
    spec: Spec | None = None         # the editable spec, when the case can be shrunk
    build_binary: bool = False       # also compare the inferencer `cnnc build` makes of it
    # Filled in by prepare():
    workdir: Path | None = None
    summary: dict | None = None
    weights_path: Path | None = None
    input_path: Path | None = None
    inputs: np.ndarray | None = None
    exported: cnnc_onnx.ExportedModel | None = None


class CaseFailure(Exception):
    """A failed check. `category` groups failures for shrinking: a smaller spec must fail the same way."""

    def __init__(self, category: str, message: str) -> None:
        super().__init__(message)
        self.category = category
        self.message = message


@dataclass
class Result:
    case: Case
    ok: bool
    category: str = ""
    message: str = ""
    seconds: float = 0.0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0       # |a − b| / max(|b|, 1e-30), over elements with |b| ≥ 1e-3
    worst_ratio: float = 0.0         # max of |a − b| / (atol + rtol·|b|); ≤ 1 passes
    saved: str | None = None
    elements: int = 0


class Tools:
    """The programs a case runs, with the lock that serializes fixture writes."""

    def __init__(self, cnnc: str) -> None:
        self.cnnc = cnnc
        self.lock = threading.Lock()

    def cnnc_run(self, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([self.cnnc, *arguments], capture_output=True, text=True, cwd=cwd,
                              env={**os.environ, "NO_COLOR": "1"})


def needed_tensors(summary: dict) -> dict[str, list[int]]:
    """Every tensor a spec's layers bind, with its shape."""
    tensors: dict[str, list[int]] = {}
    for layer in summary["layers"]:
        name, kind, o = layer["name"], layer["kind"], layer["options"]
        if kind in ("conv", "conv_transpose"):
            kh, kw = o["kernel"]
            tensors[f"{name}.weight"] = [o["out_channels"], o["in_channels"] // o["groups"], kh, kw] if kind == "conv" \
                else [o["in_channels"], o["out_channels"] // o["groups"], kh, kw]
            if o["bias"]:
                tensors[f"{name}.bias"] = [o["out_channels"]]
        elif kind == "dense":
            tensors[f"{name}.weight"] = [o["out_features"], o["in_features"]]
            if o["bias"]:
                tensors[f"{name}.bias"] = [o["out_features"]]
        elif kind == "batchnorm":
            for role in ("weight", "bias", "running_mean", "running_var"):
                tensors[f"{name}.{role}"] = [layer["input_shape"][0]]
    return tensors


def memory_plan_problems(summary: dict) -> list[str]:
    """Checks the summary's `memory_plan` on its own terms: buffers alive at a common step (their
    [first_step, last_step] ranges intersect) must not overlap in [offset, offset + bytes); the
    arena must hold every buffer and be at least the lower bound; the lower bound must be the
    largest sum, over the steps, of the live buffers' sizes rounded up to 64 bytes."""
    plan = summary["memory_plan"]
    buffers = plan["buffers"]
    problems = []

    def label(b: dict) -> str:
        return (f"'{b['purpose']}' ([{b['offset_bytes']}, {b['offset_bytes'] + b['bytes']}) bytes, "
                f"steps {b['first_step']}–{b['last_step']})")

    for b in buffers:
        if b["bytes"] < 0 or b["offset_bytes"] < 0 or b["first_step"] > b["last_step"]:
            problems.append(f"buffer {label(b)} has a negative size or offset or an empty step range")
        if b["offset_bytes"] + b["bytes"] > plan["arena_bytes"]:
            problems.append(f"buffer {label(b)} ends past the arena of {plan['arena_bytes']} bytes")
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            live_together = a["first_step"] <= b["last_step"] and b["first_step"] <= a["last_step"]
            overlap = a["offset_bytes"] < b["offset_bytes"] + b["bytes"] and b["offset_bytes"] < a["offset_bytes"] + a["bytes"]
            if live_together and overlap:
                problems.append(f"buffers {label(a)} and {label(b)} are alive at once and overlap")
    # The live set only grows where a buffer starts, so the maximum is reached at some first_step.
    lower_bound = max((sum(-(-b["bytes"] // 64) * 64 for b in buffers if b["first_step"] <= step <= b["last_step"])
                       for step in {b["first_step"] for b in buffers}), default=0)
    if plan["lower_bound_bytes"] != lower_bound:
        problems.append(f"lower_bound_bytes is {plan['lower_bound_bytes']}, but the live buffers "
                        f"(each rounded up to 64 bytes) peak at {lower_bound}")
    if plan["arena_bytes"] < plan["lower_bound_bytes"]:
        problems.append(f"arena_bytes {plan['arena_bytes']} is below lower_bound_bytes {plan['lower_bound_bytes']}")
    totals = summary["totals"]
    if (totals["arena_bytes"], totals["activation_lower_bound_bytes"]) != (plan["arena_bytes"], plan["lower_bound_bytes"]):
        problems.append(f"totals say arena {totals['arena_bytes']} and lower bound {totals['activation_lower_bound_bytes']}, "
                        f"the memory plan {plan['arena_bytes']} and {plan['lower_bound_bytes']}")
    return problems


def prepare(case: Case, tools: Tools) -> None:
    """Checks, summarises, writes weights and inputs, exports, and compares shapes and counts."""
    assert case.workdir is not None
    result = tools.cnnc_run("check", str(case.spec_path))
    if result.returncode != 0:
        raise CaseFailure("check", f"cnnc check rejected the spec:\n{result.stderr.strip()}")
    try:
        case.summary = cnnc_onnx.run_summary(case.spec_path, tools.cnnc)
    except cnnc_onnx.ExportError as error:
        raise CaseFailure("summary", str(error)) from None
    problems = memory_plan_problems(case.summary)
    if problems:
        raise CaseFailure("memory-plan", "\n".join(problems))
    inline = cnnc_onnx.inline_weights(case.spec_path, case.summary)
    missing = [name for name in needed_tensors(case.summary) if name not in inline]
    case.weights_path = None
    if missing:
        case.weights_path = case.workdir / "weights.safetensors"
        result = tools.cnnc_run("init-weights", str(case.spec_path), "-o", str(case.weights_path),
                                "--seed", str(case.weights_seed), "--randomize-all")
        if result.returncode != 0:
            raise CaseFailure("init-weights", f"cnnc init-weights failed (exit {result.returncode}):\n{result.stderr.strip()}")
    weights = cnnc_onnx.load_weights(case.spec_path, case.summary, case.weights_path)
    try:
        # Unused layers are exported too (as extra graph outputs), so their shapes are compared.
        unused = [layer["name"] for layer in case.summary["layers"] if layer["unused"]]
        case.exported = cnnc_onnx.export_model(case.summary, weights, extra_outputs=unused)
    except cnnc_onnx.ExportError as error:
        raise CaseFailure("export", str(error)) from None
    except Exception as error:  # onnx.checker or shape inference refusing the model
        raise CaseFailure("export", f"{type(error).__name__}: {error}") from None
    compare_shapes_and_counts(case)
    rng = np.random.default_rng(case.input_seed)
    case.inputs = rng.standard_normal((case.batch, *case.summary["input_shape"])).astype(np.float32)
    case.input_path = case.workdir / "input.npy"
    np.save(case.input_path, case.inputs)


def compare_shapes_and_counts(case: Case) -> None:
    """Every exported layer's output shape against ONNX shape inference, its parameters and
    buffers against its initializers; the totals against the sum over the layers."""
    exported, summary = case.exported, case.summary
    inferred = exported.inferred_shapes()
    sizes = exported.initializer_sizes()
    problems = []
    exported_names = {record.name for record in exported.layers}
    missing = [layer["name"] for layer in summary["layers"] if layer["name"] not in exported_names]
    if missing:
        problems.append(f"layers not exported: {', '.join(missing)}")
    by_name = {layer["name"]: layer for layer in summary["layers"]}
    for record in exported.layers:
        layer = by_name[record.name]
        dims = inferred.get(record.output)
        if dims is None:
            problems.append(f"layer '{layer['name']}': ONNX shape inference gave no shape for '{record.output}'")
            continue
        # The batch stays symbolic; after a Resize, ONNX shape inference names it anew (N·1 is
        # not simplified to N), so any symbol is accepted there.
        if not isinstance(dims[0], str) or not all(isinstance(d, int) for d in dims[1:]):
            problems.append(f"layer '{layer['name']}': ONNX shape inference gave {dims} (expected a symbolic batch "
                            f"and static sizes)")
            continue
        shape = cnnc_onnx.summary_shape_of(dims, record.rank)
        if shape != layer["output_shape"]:
            problems.append(f"layer '{layer['name']}': cnnc summary says {layer['output_shape']}, "
                            f"ONNX shape inference {shape} (ONNX {dims})")
        params = sum(sizes[record.initializers[r]] for r in ("weight", "bias") if r in record.initializers)
        buffers = sum(sizes[record.initializers[r]] for r in ("running_mean", "running_var") if r in record.initializers)
        if params != layer["parameters"] or buffers != layer["buffers"]:
            problems.append(f"layer '{layer['name']}': cnnc summary counts {layer['parameters']} parameters and "
                            f"{layer['buffers']} buffers, the ONNX initializers hold {params} and {buffers}")
    total_params = sum(sizes[n] for r in exported.layers for role, n in r.initializers.items() if role in ("weight", "bias"))
    total_buffers = sum(sizes[n] for r in exported.layers for role, n in r.initializers.items() if role.startswith("running"))
    if total_params != summary["totals"]["parameters"] or total_buffers != summary["totals"]["buffers"]:
        problems.append(f"totals: cnnc summary {summary['totals']['parameters']} parameters and "
                        f"{summary['totals']['buffers']} buffers, ONNX {total_params} and {total_buffers}")
    if problems:
        raise CaseFailure("shapes", "\n".join(problems))


# ---------------------------------------------------------------------------------------------
# Runners: each returns the [N, …] output of a prepared case
# ---------------------------------------------------------------------------------------------

Runner = Callable[[Case], "np.ndarray | None"]


def run_onnxruntime(case: Case) -> np.ndarray:
    session = cnnc_onnx.make_session(case.exported.model)
    return session.run(["output"], {"input": case.inputs})[0]


def make_cnnc_runner(tools: Tools) -> Runner:
    def run_cnnc_interpreter(case: Case) -> np.ndarray:
        output = case.workdir / "cnnc-output.npy"
        arguments = ["run", str(case.spec_path), "--input", str(case.input_path), "--output", str(output)]
        if case.weights_path is not None:
            arguments += ["--weights", str(case.weights_path)]
        result = tools.cnnc_run(*arguments)
        if result.returncode != 0:
            raise CaseFailure("cnnc-run", f"cnnc run failed (exit {result.returncode}):\n{result.stderr.strip()}")
        return np.load(output)
    run_cnnc_interpreter.__name__ = "cnnc run"
    return run_cnnc_interpreter


NATIVE_EXPORT = "cnnc export + onnxruntime"


def make_native_export_runner(tools: Tools) -> Runner:
    """ONNX Runtime on the model `cnnc export` writes (Swift), against ONNX Runtime on the model of
    tools/cnnc_onnx.py (Python): two independent exporters of one spec must agree."""
    def run_native_export(case: Case) -> np.ndarray:
        model = case.workdir / "cnnc-export.onnx"
        arguments = ["export", str(case.spec_path), "-o", str(model)]
        if case.weights_path is not None:
            arguments += ["--weights", str(case.weights_path)]
        result = tools.cnnc_run(*arguments)
        if result.returncode != 0:
            raise CaseFailure("cnnc-export", f"cnnc export failed (exit {result.returncode}):\n{result.stderr.strip()}")
        try:
            session = cnnc_onnx.make_session(model.read_bytes())
        except Exception as error:  # ONNX Runtime refusing the model is a failure of `cnnc export`
            raise CaseFailure("cnnc-export", f"ONNX Runtime refuses the model of cnnc export: {error}") from None
        output = session.run(["output"], {"input": case.inputs})[0]
        # The model's output is [N, F] or [N, F, 1, 1] for a flat result; cnnc writes [N, F].
        _, height, width = case.summary["output_shape"]
        return output.reshape(output.shape[0], -1) if height == width == 1 else output
    run_native_export.__name__ = NATIVE_EXPORT
    return run_native_export


# Round trips keep the summation order: the same-order row of docs/testing.md's tolerance table.
ROUND_TRIP_RTOL, ROUND_TRIP_ATOL = 1e-5, 1e-6
# Layers that move no data: an exporter may drop them (dropout) or add them (a Flatten before Gemm).
NO_OP_KINDS = {"dropout", "flatten"}


def check_round_trip(case: Case, tools: Tools) -> None:
    """spec → `cnnc export` → `cnnc import` → spec: the imported spec must have the same summary
    (shapes, parameters, MACs, receptive fields; layers matched by name, no-op layers aside) and the
    same outputs as the original through `cnnc run`, within 1e-5 relative plus 1e-6 absolute."""
    model = case.workdir / "cnnc-export.onnx"
    if not model.exists():
        raise CaseFailure("round-trip", "no cnnc export model to import (the export runner did not run)")
    spec = case.workdir / "imported.yaml"
    result = tools.cnnc_run("import", str(model), "-o", str(spec))
    if result.returncode != 0:
        raise CaseFailure("round-trip", f"cnnc import of cnnc export's model failed (exit {result.returncode}):\n"
                                        f"{(result.stderr or result.stdout).strip()}")
    imported = cnnc_onnx.run_summary(spec, tools.cnnc)
    problems = []
    for key in ("input_shape", "output_shape"):
        if imported[key] != case.summary[key]:
            problems.append(f"{key}: {case.summary[key]} became {imported[key]}")
    # Unused layers are not exported: the totals to keep are those of the layers that run.
    for key in ("parameters", "buffers", "macs"):
        kept = sum(layer[key] for layer in case.summary["layers"] if not layer["unused"])
        if imported["totals"][key] != kept:
            problems.append(f"totals.{key} of the layers that run: {kept} became {imported['totals'][key]}")
    original = {layer["name"]: layer for layer in case.summary["layers"] if not layer["unused"]}
    roundtrip = {layer["name"]: layer for layer in imported["layers"]}
    for name, layer in original.items():
        twin = roundtrip.get(name)
        if twin is None:
            if layer["kind"] not in NO_OP_KINDS:
                problems.append(f"layer '{name}' ({layer['kind']}) is missing from the imported spec")
            continue
        for key in ("kind", "output_shape", "parameters", "buffers", "macs", "receptive_field"):
            if twin[key] != layer[key]:
                problems.append(f"layer '{name}': {key} {layer[key]} became {twin[key]}")
    for name, layer in roundtrip.items():
        if name not in original and layer["kind"] not in NO_OP_KINDS:
            problems.append(f"the imported spec has a layer '{name}' ({layer['kind']}) the original does not")
    if problems:
        raise CaseFailure("round-trip", "the imported spec's summary differs:\n" + "\n".join(problems[:20]))
    output = case.workdir / "imported-output.npy"
    result = tools.cnnc_run("run", str(spec), "--input", str(case.input_path), "--output", str(output))
    if result.returncode != 0:
        raise CaseFailure("round-trip", f"cnnc run of the imported spec failed (exit {result.returncode}):\n{result.stderr.strip()}")
    got, want = np.load(output).astype(np.float64), np.load(case.workdir / "cnnc-output.npy").astype(np.float64)
    if got.shape != want.shape or not np.allclose(got, want, rtol=ROUND_TRIP_RTOL, atol=ROUND_TRIP_ATOL):
        worst = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("nan")
        raise CaseFailure("round-trip", f"the imported spec computes other values: shape {list(got.shape)} vs {list(want.shape)}, "
                                        f"max |Δ| {worst:.3g} (tolerance 1e-6 + 1e-5·|original|)")


def command_runner(template: str, tools: Tools) -> Runner:
    """A runner from a shell command template. Placeholders (shell-quoted): {cnnc} {spec} {weights}
    (empty when every weight is inline) {weights_args} (`--weights PATH` or nothing) {input}
    (an [N, C, H, W] float32 .npy) {output} (the .npy the command must write) {workdir}."""
    def run_command(case: Case) -> np.ndarray:
        output = case.workdir / "command-output.npy"
        weights = str(case.weights_path) if case.weights_path else ""
        values = {
            "cnnc": shlex.quote(tools.cnnc),
            "spec": shlex.quote(str(case.spec_path)),
            "weights": shlex.quote(weights) if weights else "",
            "weights_args": f"--weights {shlex.quote(weights)}" if weights else "",
            "input": shlex.quote(str(case.input_path)),
            "output": shlex.quote(str(output)),
            "workdir": shlex.quote(str(case.workdir)),
        }
        command = template.format(**values)
        result = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=case.workdir)
        if result.returncode != 0 or not output.exists():
            raise CaseFailure("command-run", f"`{command}` failed (exit {result.returncode}):\n"
                                             f"{(result.stderr or result.stdout).strip()}")
        return np.load(output)
    run_command.__name__ = "binary command"
    return run_command


def make_built_binary_runner(tools: Tools) -> Runner:
    """The standalone inferencer of `cnnc build` (for the cases marked `build_binary`; None for the
    others, which are then compared through the other runners only). Builds share the cache of
    $CNNC_CACHE_DIR, so a package already built for the same spec is only relinked with new weights."""
    def run_built_binary(case: Case) -> np.ndarray | None:
        if not case.build_binary:
            return None
        binary = case.workdir / "inferencer"
        # A bundled model is named as the Swift tests name it (models/NAME.yaml from the repository
        # root): the generated sources quote the path, and the cache keeps one package per spec file,
        # so another spelling regenerated the tests' package under them (and changed its binary).
        spec = case.spec_path
        if spec.is_relative_to(REPOSITORY_ROOT):
            spec = spec.relative_to(REPOSITORY_ROOT)
        arguments = ["build", str(spec), "-o", str(binary)]
        if case.weights_path is not None:
            arguments += ["--weights", str(case.weights_path)]
        built = tools.cnnc_run(*arguments, cwd=REPOSITORY_ROOT)
        if built.returncode != 0:
            raise CaseFailure("cnnc-build", f"cnnc build failed (exit {built.returncode}):\n{built.stderr.strip()}")
        output = case.workdir / "binary-output.npy"
        result = subprocess.run([str(binary), "--input", str(case.input_path), "--output", str(output)],
                                capture_output=True, text=True, cwd=case.workdir)
        if result.returncode != 0:
            raise CaseFailure("binary-run", f"the built inferencer failed (exit {result.returncode}):\n{result.stderr.strip()}")
        return np.load(output)
    run_built_binary.__name__ = "cnnc build"
    return run_built_binary


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------

@dataclass
class Agreement:
    max_abs: float
    max_rel: float
    worst_ratio: float
    elements: int


def compare(name: str, got: np.ndarray, reference: np.ndarray, case: Case) -> Agreement:
    """Requires numpy.allclose(got, reference, rtol=1e-4, atol=1e-5) in shape and values."""
    c, h, w = case.summary["output_shape"]
    # docs/runtime-io.md: [N, F] for a flat result, [N, C, H, W] for a spatial one.
    expected_shape = [case.batch, c] if h == 1 and w == 1 else [case.batch, c, h, w]
    if list(got.shape) != expected_shape:
        raise CaseFailure("output-shape", f"{name} wrote shape {list(got.shape)}, expected {expected_shape}")
    ref_sample = cnnc_onnx.summary_shape_of([None, *reference.shape[1:]],
                                            case.exported.layer(case.exported.output_layer).rank)
    if ref_sample != [c, h, w] or reference.shape[0] != case.batch:
        raise CaseFailure("output-shape", f"onnxruntime produced shape {list(reference.shape)}, "
                                          f"the summary says {case.batch}×{[c, h, w]}")
    a = got.reshape(case.batch, -1).astype(np.float64)
    b = reference.reshape(case.batch, -1).astype(np.float64)
    if not np.all(np.isfinite(b)):
        raise CaseFailure("nonfinite", f"onnxruntime produced {np.count_nonzero(~np.isfinite(b))} non-finite values")
    diff = np.abs(a - b)
    diff[~np.isfinite(a)] = np.inf
    tolerance = ATOL + RTOL * np.abs(b)
    ratio = diff / tolerance
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    significant = np.abs(b) >= 1e-3
    agreement = Agreement(max_abs=float(diff.max()) if diff.size else 0.0,
                          max_rel=float((diff[significant] / np.abs(b[significant])).max()) if significant.any() else 0.0,
                          worst_ratio=float(ratio.max()) if ratio.size else 0.0,
                          elements=int(a.size))
    if not np.allclose(a, b, rtol=RTOL, atol=ATOL):
        sample, flat_index = int(worst[0]), int(worst[1])
        position = [int(i) for i in np.unravel_index(flat_index, (c, h, w))]
        bad = int(np.count_nonzero(ratio > 1))
        raise CaseFailure(
            "mismatch",
            f"{name} disagrees with onnxruntime in {bad} of {a.size} values; worst: sample {sample}, "
            f"[c, h, w] = {position}: {name} {a[worst]:.9g}, onnxruntime {b[worst]:.9g}, "
            f"|Δ| = {diff[worst]:.3g} = {ratio[worst]:.3g}× the tolerance (1e-5 + 1e-4·|onnxruntime|)")
    return agreement


def run_case(case: Case, tools: Tools, runners: list[Runner]) -> Result:
    started = time.monotonic()
    case.workdir.mkdir(parents=True, exist_ok=True)
    result = Result(case=case, ok=True)
    try:
        prepare(case, tools)
        reference = run_onnxruntime(case)
        for runner in runners:
            output = runner(case)
            if output is None:
                continue
            agreement = compare(runner.__name__, output, reference, case)
            result.max_abs_error = max(result.max_abs_error, agreement.max_abs)
            result.max_rel_error = max(result.max_rel_error, agreement.max_rel)
            result.worst_ratio = max(result.worst_ratio, agreement.worst_ratio)
            result.elements = agreement.elements
        if any(runner.__name__ == NATIVE_EXPORT for runner in runners):
            check_round_trip(case, tools)
    except CaseFailure as failure:
        result.ok, result.category, result.message = False, failure.category, failure.message
    except Exception as error:  # a bug in the tools themselves: report it, never hide it
        result.ok, result.category = False, "tool-error"
        result.message = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------------------------------------
# Shrinking and saving regressions
# ---------------------------------------------------------------------------------------------

def _without_layer(spec: Spec, index: int, replacement: str | None = None) -> Spec:
    """The spec without written layer `index`. Layers that read its result read `replacement`
    instead (default: the first value it read itself), and references follow the default names
    that shift when a layer of their kind goes."""
    names, inputs = random_specs.layer_names(spec), random_specs.layer_inputs(spec)
    smaller = spec.copy()
    del smaller.layers[index]
    new_names = random_specs.layer_names(smaller)
    renamed = dict(zip(names[:index] + names[index + 1:], new_names))
    renamed[names[index]] = renamed.get(replacement or inputs[index][0], replacement or inputs[index][0])
    for position, layer in enumerate(smaller.layers):
        written = random_specs.references(layer)
        if written is None and position != index:
            continue  # it still reads the layer before it
        sources = [renamed.get(name, name) for name in (written or [names[index]])]
        previous = new_names[position - 1] if position else "input"
        if written is None and sources == [previous]:
            continue
        layer.options["from"] = sources[0] if len(sources) == 1 and not isinstance(layer.options.get("from"), list) \
            else sources
    if smaller.output is not None:
        smaller.output = renamed.get(smaller.output, smaller.output)
    return smaller


def _candidates(spec: Spec):
    """Smaller variants of a spec, most promising first."""
    layers = spec.layers
    used = random_specs.used_layers(spec)
    if len(used) < len(layers):                  # drop the layers whose results are never read
        s = spec
        for i in reversed(range(len(layers))):
            if i not in used:
                s = _without_layer(s, i)
        yield f"drop {len(layers) - len(used)} unused layers", s
    inputs = random_specs.layer_inputs(spec)
    for i, sources in enumerate(inputs):        # cut branches: a merge keeps one input, or loses one
        if len(sources) < 2:
            continue
        for k, source in enumerate(sources):
            yield f"layer {i + 1} ({layers[i].kind}) replaced by its input {source!r}", _without_layer(spec, i, source)
            if len(sources) > 2:
                s = spec.copy()
                s.layers[i].options["from"] = sources[:k] + sources[k + 1:]
                yield f"layer {i + 1}: drop input {source!r}", s
    names = random_specs.layer_names(spec)
    for i, sources in enumerate(inputs[:-1]):   # the network up to a merge, the layers after it dropped
        if len(sources) > 1:
            s = spec.copy()
            s.output = names[i]
            for j in reversed(range(len(layers))):
                if j not in random_specs.used_layers(s):
                    s = _without_layer(s, j)
            yield f"the network up to layer {i + 1} ({layers[i].kind})", s
    if spec.output is not None:
        s = spec.copy()
        s.output = None
        yield "drop output:", s
    for i in reversed(range(len(layers))):      # drop layers from the end, then from the middle
        if len(layers) > 1:
            yield f"drop layer {i + 1} ({layers[i].kind})", _without_layer(spec, i)
    for i, layer in enumerate(layers):           # simplify options
        for key in ("activation", "name", "weight", "normalize", "in_channels", "in_features", "groups",
                    "dilation", "stride", "padding_value", "padding_mode", "bias", "ceil_mode", "padding",
                    "output_padding", "mode", "eps", "alpha", "rate"):
            if key in layer.options:
                s = spec.copy()
                del s.layers[i].options[key]
                yield f"layer {i + 1}: drop {key}", s
        for key in ("channels", "units"):
            value = layer.options.get(key)
            if isinstance(value, int) and value > 1:
                for smaller in sorted({1, value // 2, value - 1}):
                    if smaller < value:
                        s = spec.copy()
                        s.layers[i].options[key] = smaller
                        yield f"layer {i + 1}: {key} {smaller}", s
        value = layer.options.get("kernel")
        if value is not None:
            s = spec.copy()
            s.layers[i].options["kernel"] = [max(1, k - 1) for k in random_specs.pair(value)]
            yield f"layer {i + 1}: smaller kernel", s
    c, h, w = spec.input
    for new in ((1, h, w), (c - 1, h, w), (c, h // 2, w), (c, h - 1, w), (c, h, w // 2), (c, h, w - 1)):
        if min(new) >= 1 and new != spec.input:
            s = spec.copy()
            s.input = new
            yield f"input {new[0]}×{new[1]}×{new[2]}", s


def shrink(case: Case, category: str, tools: Tools, runners: list[Runner], budget: int = 250,
           log: Callable[[str], None] = print) -> tuple[Spec, Result]:
    """The smallest variant of the case's spec that still fails with `category`."""
    best = case.spec.copy()
    best_result: Result | None = None
    tries = 0
    progress = True
    directory = case.workdir.parent / (case.workdir.name + "-shrink")
    while progress and tries < budget:
        progress = False
        current = best.to_yaml()
        for description, candidate in _candidates(best):
            if candidate.to_yaml() == current:
                continue
            tries += 1
            if tries > budget:
                break
            path = directory / f"candidate-{tries}.yaml"
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(candidate.to_yaml(), encoding="utf-8")
            if tools.cnnc_run("check", str(path)).returncode != 0:
                continue  # not a valid spec: not a smaller reproduction
            trial = Case(label=f"{case.label} (shrinking)", spec_path=path, weights_seed=case.weights_seed,
                         input_seed=case.input_seed, batch=case.batch, spec=candidate,
                         build_binary=case.build_binary, workdir=directory / f"case-{tries}")
            outcome = run_case(trial, tools, runners)
            if not outcome.ok and outcome.category == category:
                log(f"    shrink: {description} → {len(candidate.layers)} layers, input {candidate.input}")
                best, best_result, progress = candidate, outcome, True
                break
    shutil.rmtree(directory, ignore_errors=True)
    return best, best_result


def regression_digest(spec: Spec) -> str:
    """Identifies a spec's network (not its name or comments), so one reproduction is saved once."""
    body = spec.copy()
    body.name, body.comments = "regression", []
    return hashlib.sha1(body.to_yaml().encode()).hexdigest()[:10]


def save_regression(spec: Spec, case: Case, result: Result, directory: Path) -> Path:
    spec = spec.copy()
    first_line = result.message.strip().splitlines()[0] if result.message.strip() else result.category
    digest = regression_digest(spec)
    spec.name = f"regression {result.category} {digest}"
    spec.comments = [
        f"Differential regression saved by tools/differential.py on {datetime.date.today().isoformat()}.",
        f"found: {case.origin or case.label}",
        f"failure: {result.category}: {first_line[:300]}",
        f"weights-seed: {case.weights_seed}",
        f"input-seed: {case.input_seed}",
        f"batch: {case.batch}",
        "Add '# known-failure: WHY' (and a line in README.md) once the cause is understood and lies in cnnc.",
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.category}-{digest}.yaml"
    path.write_text(spec.to_yaml(), encoding="utf-8")
    return path


def load_regression(path: Path, workroot: Path) -> Case:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"#\s*([a-z-]+):\s*(.*)$", line)
        if match:
            header[match.group(1)] = match.group(2).strip()
    return Case(label=f"regression {path.name}", spec_path=path,
                weights_seed=int(header.get("weights-seed", 0)), input_seed=int(header.get("input-seed", 0)),
                batch=int(header.get("batch", 2)), origin=header.get("found", ""),
                known_failure=header.get("known-failure"), spec=random_specs.load_spec(path),
                workdir=workroot / f"regression-{path.stem}")


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

def build_cases(args: argparse.Namespace, workroot: Path) -> tuple[list[Case], list[Case], list[Case]]:
    regressions = [load_regression(p, workroot) for p in sorted(Path(args.regressions).glob("*.yaml"))] \
        if args.regressions and Path(args.regressions).is_dir() else []
    for case in regressions:
        case.build_binary = args.build_binaries > 0
    models = []
    if not args.no_models:
        for path in sorted(Path(args.models).glob("*.yaml")):
            models.append(Case(label=f"models/{path.name}", spec_path=path.resolve(),
                               weights_seed=MODEL_WEIGHTS_SEED, input_seed=MODEL_WEIGHTS_SEED,
                               batch=MODEL_BATCH.get(path.stem, 2), origin=f"models/{path.name}",
                               spec=random_specs.load_spec(path), workdir=workroot / f"model-{path.stem}",
                               build_binary=args.build_binaries > 0))
    randoms = []
    specs_dir = workroot / "specs"
    specs_dir.mkdir(parents=True, exist_ok=True)
    for index in range(args.count):
        spec = random_specs.generate_run(args.seed, index)
        path = specs_dir / f"random-{args.seed}-{index:05d}.yaml"
        path.write_text(spec.to_yaml(), encoding="utf-8")
        seed = (args.seed * 1_000_003 + index) % (1 << 63)
        randoms.append(Case(label=f"random {index} (seed {args.seed})", spec_path=path, weights_seed=seed,
                            input_seed=seed, batch=2, spec=spec, workdir=workroot / f"random-{index:05d}",
                            build_binary=index < args.build_binaries,
                            origin=f"random spec {index} of `differential.py --seed {args.seed}` "
                                   f"(random_specs.generate_run({args.seed}, {index}))"))
    return regressions, models, randoms


def describe(result: Result) -> str:
    case = result.case
    if result.ok:
        return (f"ok    {case.label:<44} {result.seconds:6.2f}s  max |Δ| {result.max_abs_error:.2e}, "
                f"worst {result.worst_ratio:.3f}× tolerance")
    status = "KNOWN" if case.known_failure else "FAIL"
    lines = [f"{status}  {case.label:<44} {result.seconds:6.2f}s  {result.category}"]
    lines += ["        " + line for line in result.message.strip().splitlines()[:30]]
    lines.append(f"        spec {case.spec_path}, weights seed {case.weights_seed}, input seed {case.input_seed}, "
                 f"batch {case.batch}")
    if case.known_failure:
        lines.append(f"        known failure: {case.known_failure}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Differential tests of cnnc against ONNX Runtime.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="See docs/onnx.md.")
    parser.add_argument("--cnnc", help="the cnnc executable (default: $CNNC, .build/debug/cnnc, or cnnc on PATH)")
    parser.add_argument("--count", type=int, default=60, help="random specs (default 60; thousands for a long run)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random specs, weights and inputs (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--models", default=str(MODELS), help="directory of bundled specs (default models/)")
    parser.add_argument("--no-models", action="store_true", help="skip the bundled specs")
    parser.add_argument("--regressions", default=str(REGRESSIONS),
                        help="regression folder, re-run first and where failures are saved")
    parser.add_argument("--no-shrink", action="store_true", help="report failures without shrinking them")
    parser.add_argument("--no-round-trip", action="store_true",
                        help="skip `cnnc export` (compared through ONNX Runtime) and the export → import round trip")
    parser.add_argument("--no-save", action="store_true", help="do not save shrunk failures as regressions")
    parser.add_argument("--max-shrink", type=int, default=5,
                        help="shrink and save at most this many failures per run (default 5)")
    parser.add_argument("--build-binaries", type=int, default=0, metavar="N",
                        help="also build and compare the standalone inferencer (`cnnc build`) of every saved "
                             "regression and bundled model and of the first N random specs (default 0: none)")
    parser.add_argument("--binary-command", metavar="TEMPLATE",
                        help="a third implementation to compare: a shell command with placeholders {cnnc} {spec} "
                             "{weights} {weights_args} {input} {output} {workdir} that writes {output} (.npy)")
    parser.add_argument("--report", help="write a JSON report here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("-q", "--quiet", action="store_true", help="print failures and the totals only")
    args = parser.parse_args(argv)

    try:
        cnnc = args.cnnc or cnnc_onnx.default_cnnc()
    except cnnc_onnx.ExportError as error:
        parser.error(str(error))
    tools = Tools(str(Path(cnnc).resolve()) if os.path.sep in cnnc else cnnc)
    runners: list[Runner] = [make_cnnc_runner(tools)]
    if not args.no_round_trip:
        runners.append(make_native_export_runner(tools))
    if args.build_binaries > 0:
        runners.append(make_built_binary_runner(tools))
    if args.binary_command:
        runners.append(command_runner(args.binary_command, tools))

    started = time.monotonic()
    workroot = Path(tempfile.mkdtemp(prefix="cnnc-differential-"))
    regressions, models, randoms = build_cases(args, workroot)

    # The generator must only draw specs cnnc accepts: check them all in one call.
    if randoms:
        checked = tools.cnnc_run("check", *[str(c.spec_path) for c in randoms])
        if checked.returncode != 0:
            print("random_specs.py drew specs that cnnc check rejects (a generator bug):\n" + checked.stderr,
                  file=sys.stderr)

    def say(text: str) -> None:
        with tools.lock:
            print(text, flush=True)

    results: list[Result] = []
    print(f"differential: cnnc {tools.cnnc}, {len(regressions)} regressions, {len(models)} models, "
          f"{len(randoms)} random specs (seed {args.seed}), runners: onnxruntime (reference), "
          + ", ".join(r.__name__ for r in runners), flush=True)
    for group in (regressions, models, randoms):
        # Slow cases first, so two jobs finish together.
        ordered = sorted(group, key=lambda c: c.label.startswith("models/imagenet"), reverse=True)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for result in pool.map(lambda c: run_case(c, tools, runners), ordered):
                results.append(result)
                if not result.ok or not args.quiet:
                    say(describe(result))

    # Shrink and save new failures (not known ones, not regressions already saved).
    saved: list[Path] = []
    existing = {regression_digest(c.spec) for c in regressions if c.spec is not None}
    shrunk = 0
    for result in results:
        case = result.case
        if result.ok or case.known_failure or case.label.startswith("regression") or result.category == "tool-error":
            continue
        if result.category == "check":
            print(f"{case.label}: cnnc check rejects a generated spec: a bug in tools/random_specs.py, not saved")
            continue
        if shrunk >= args.max_shrink:
            print(f"{case.label}: not shrunk (--max-shrink {args.max_shrink} reached); "
                  f"rerun with --seed {args.seed} to reproduce")
            continue
        shrunk += 1
        print(f"shrinking {case.label} ({result.category}; weights seed {case.weights_seed}, "
              f"input seed {case.input_seed}) …", flush=True)
        spec, smallest = (case.spec, result) if args.no_shrink or case.spec is None else \
            shrink(case, result.category, tools, runners)
        smallest = smallest or result
        if spec is None or args.no_save:
            continue
        digest = regression_digest(spec)
        if digest in existing:
            print(f"  shrinks to an already saved regression ({result.category}-{digest}.yaml)")
            continue
        existing.add(digest)
        path = save_regression(spec, case, smallest, Path(args.regressions))
        result.saved = str(path)
        saved.append(path)
        print(f"  saved {path}:\n" + "\n".join("    " + line for line in path.read_text().splitlines()), flush=True)

    elapsed = time.monotonic() - started
    passed = [r for r in results if r.ok]
    known = [r for r in results if not r.ok and r.case.known_failure]
    failed = [r for r in results if not r.ok and not r.case.known_failure]
    fixed = [r for r in results if r.ok and r.case.known_failure]
    if passed:
        worst = max(passed, key=lambda r: r.worst_ratio)
        print(f"largest errors over the passing cases: max |Δ| {max(r.max_abs_error for r in passed):.3g}, "
              f"max relative {max(r.max_rel_error for r in passed):.3g} (|reference| ≥ 1e-3), "
              f"worst {worst.worst_ratio:.3f}× the tolerance ({worst.case.label})")
    for r in fixed:
        print(f"note: known failure {r.case.label} passes now: remove its known-failure line and README entry")
    if randoms:
        covered = set()
        for case in randoms:
            covered |= random_specs.features_of(case.spec)
        missing = [f for f in random_specs.FEATURES if f not in covered]
        print(f"random specs cover {len(random_specs.FEATURES) - len(missing)} of {len(random_specs.FEATURES)} "
              f"generator features" + (f" (not drawn: {', '.join(missing)})" if missing else ""))
    print(f"differential: {len(passed)} passed, {len(failed)} failed, {len(known)} known failures "
          f"in {elapsed:.1f}s")
    if args.report:
        report = {
            "seed": args.seed, "count": args.count, "seconds": round(elapsed, 2),
            "passed": len(passed), "failed": len(failed), "known_failures": len(known),
            "max_abs_error": max((r.max_abs_error for r in passed), default=0.0),
            "max_rel_error": max((r.max_rel_error for r in passed), default=0.0),
            "worst_tolerance_ratio": max((r.worst_ratio for r in passed), default=0.0),
            "cases": [{"label": r.case.label, "ok": r.ok, "category": r.category, "message": r.message,
                       "seconds": round(r.seconds, 3), "known_failure": r.case.known_failure,
                       "max_abs_error": r.max_abs_error, "worst_tolerance_ratio": r.worst_ratio,
                       "spec": str(r.case.spec_path), "weights_seed": r.case.weights_seed,
                       "input_seed": r.case.input_seed, "saved": r.saved} for r in results],
        }
        Path(args.report).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.keep:
        print(f"scratch files kept in {workroot}")
    else:
        shutil.rmtree(workroot, ignore_errors=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
