#!/usr/bin/env python3
"""Tests of the ONNX exporter against docs/spec.md itself, independently of `cnnc run`.

Each test writes a small spec, lets `cnnc summary` resolve it, exports it with tools/cnnc_onnx.py,
runs it in ONNX Runtime and compares with a direct numpy transcription of the spec's definitions
(pool windows and divisors, ceil mode with its dropped last window, padding modes, activations,
softmax over channels, the graph operations add, mul, concat, upsample and conv_transpose, and
mixed flat ranks at a merge). The differential tests compare ONNX Runtime with cnnc; these make sure the
reference side of that comparison means what the spec says.

    CNNC=.build/debug/cnnc tools/.venv/bin/python tools/test_cnnc_onnx.py [-v]
"""
from __future__ import annotations

import itertools
import math
import random
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cnnc_onnx  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6


def reference_pool(x: np.ndarray, kind: str, kernel, stride, pads, ceil_mode: bool, count_include_pad: bool):
    """docs/spec.md's pooling, on one [C, H, W] sample."""
    c, h, w = x.shape
    (kh, kw), (sh, sw), (top, bottom, left, right) = kernel, stride, pads

    def size(n, k, s, before, after):
        span = n + before + after - k
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= n + before:
            out -= 1
        return out

    oh, ow = size(h, kh, sh, top, bottom), size(w, kw, sw, left, right)
    y = np.zeros((c, oh, ow), dtype=np.float64)
    for i, j in itertools.product(range(oh), range(ow)):
        r0, c0 = i * sh - top, j * sw - left
        rows = range(max(r0, 0), min(r0 + kh, h))
        cols = range(max(c0, 0), min(c0 + kw, w))
        window = x[:, rows.start:rows.stop, cols.start:cols.stop]
        if kind == "maxpool":
            y[:, i, j] = window.max(axis=(1, 2))
        else:
            if count_include_pad:   # stated padding counts, the ceil-mode overhang does not
                nr = min(r0 + kh, h + bottom) - max(r0, -top)
                nc = min(c0 + kw, w + right) - max(c0, -left)
            else:
                nr, nc = len(rows), len(cols)
            y[:, i, j] = window.sum(axis=(1, 2)) / (nr * nc)
    return y


def reference_conv(x, weight, bias, stride, dilation, pads, mode, value, groups):
    """docs/spec.md's convolution (PyTorch semantics), on one [C, H, W] sample."""
    top, bottom, left, right = pads
    np_mode = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    kwargs = {"constant_values": value if mode == "constant" else 0.0} if np_mode == "constant" else {}
    padded = np.pad(x.astype(np.float64), ((0, 0), (top, bottom), (left, right)), mode=np_mode, **kwargs)
    cout, cin_g, kh, kw = weight.shape
    sh, sw = stride
    dh, dw = dilation
    ph, pw = padded.shape[1:]
    oh = (ph - (dh * (kh - 1) + 1)) // sh + 1
    ow = (pw - (dw * (kw - 1) + 1)) // sw + 1
    y = np.zeros((cout, oh, ow))
    per_group = cout // groups
    for o in range(cout):
        g = o // per_group
        for i, j in itertools.product(range(oh), range(ow)):
            patch = padded[g * cin_g:(g + 1) * cin_g, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
            y[o, i, j] = (patch * weight[o]).sum() + (bias[o] if bias is not None else 0.0)
    return y


def reference_upsample(x: np.ndarray, scale, mode: str) -> np.ndarray:
    """docs/spec.md's upsample on one [C, H, W] sample: nearest copies input ⌊x/s⌋; bilinear is
    PyTorch's align_corners=False, transcribed: src = max(0, (x + 0.5)/s − 0.5),
    i0 = min(⌊src⌋, n − 1), i1 = min(i0 + 1, n − 1), λ = src − i0, per axis."""
    def axis_taps(n: int, s: int):
        taps = []
        for out in range(n * s):
            if mode == "nearest":
                taps.append(((out // s, 1.0),))
            else:
                src = max(0.0, (out + 0.5) / s - 0.5)
                i0 = min(math.floor(src), n - 1)
                i1 = min(i0 + 1, n - 1)
                weight = src - i0
                taps.append(((i0, 1.0 - weight), (i1, weight)))
        return taps

    c, h, w = x.shape
    rows, cols = axis_taps(h, scale[0]), axis_taps(w, scale[1])
    y = np.zeros((c, len(rows), len(cols)))
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            y[:, i, j] = sum(a * b * x[:, r, k] for r, a in row for k, b in col)
    return y


def reference_conv_transpose(x, weight, bias, stride, dilation, pads, output_padding, groups):
    """docs/spec.md's conv_transpose on one [C, H, W] sample, as a scatter: input (c, i, j) adds
    w[c, o', ky, kx]·x[c, i, j] to output (o, i·s − top + ky·d, j·s − left + kx·d) for every output
    channel o = g·(out/groups) + o' of c's group; positions outside the output are dropped."""
    cin, h, w = x.shape
    _, per_group_out, kh, kw = weight.shape
    (sh, sw), (dh, dw), (top, bottom, left, right) = stride, dilation, pads
    oh = (h - 1) * sh - top - bottom + dh * (kh - 1) + output_padding[0] + 1
    ow = (w - 1) * sw - left - right + dw * (kw - 1) + output_padding[1] + 1
    y = np.zeros((per_group_out * groups, oh, ow))
    per_group_in = cin // groups
    for c, i, j, o, ky, kx in itertools.product(range(cin), range(h), range(w), range(per_group_out), range(kh), range(kw)):
        r, q = i * sh - top + ky * dh, j * sw - left + kx * dw
        if 0 <= r < oh and 0 <= q < ow:
            y[(c // per_group_in) * per_group_out + o, r, q] += weight[c, o, ky, kx] * x[c, i, j]
    if bias is not None:
        y += bias[:, None, None]
    return y


class ExporterTests(unittest.TestCase):
    cnnc: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.cnnc = cnnc_onnx.default_cnnc()
        cls.directory = tempfile.TemporaryDirectory(prefix="cnnc-onnx-test-")
        cls.counter = 0

    @classmethod
    def tearDownClass(cls) -> None:
        cls.directory.cleanup()

    def export(self, yaml_layers: str, shape, weights=None, extra_outputs=(), top_level: str = ""):
        type(self).counter += 1
        path = Path(self.directory.name) / f"spec{self.counter}.yaml"
        c, h, w = shape
        path.write_text(f"name: t\ninput: {{channels: {c}, height: {h}, width: {w}}}\n{top_level}layers:\n{yaml_layers}",
                        encoding="utf-8")
        summary = cnnc_onnx.run_summary(path, self.cnnc)
        exported = cnnc_onnx.export_model(summary, dict(weights or {}) | cnnc_onnx.inline_weights(path, summary),
                                          extra_outputs=extra_outputs)
        return summary, exported, cnnc_onnx.make_session(exported.model)

    def run_outputs(self, exported, session, x, names):
        """The values of the named layers for input x."""
        values = [exported.layer(name).output for name in names]
        return dict(zip(names, session.run(values, {"input": x})))

    def test_pools_match_the_spec(self):
        """Max and average pooling, every combination of padding, stride, ceil mode and
        count_include_pad, on small odd and even sides: ONNX Runtime equals the spec's definition."""
        rng = random.Random(5)
        np_rng = np.random.default_rng(5)
        cases = 0
        ceil_overhang_with_pad = 0
        for _ in range(160):
            kind = rng.choice(["maxpool", "avgpool"])
            kernel = (rng.randint(1, 4), rng.randint(1, 4))
            stride = (rng.randint(1, 3), rng.randint(1, 3))
            pads = [rng.randint(0, kernel[0] - 1), rng.randint(0, kernel[0] - 1),
                    rng.randint(0, kernel[1] - 1), rng.randint(0, kernel[1] - 1)]
            h, w = rng.randint(1, 9), rng.randint(1, 9)
            if kernel[0] > h + pads[0] + pads[1] or kernel[1] > w + pads[2] + pads[3]:
                continue
            ceil_mode, cip = rng.random() < 0.6, rng.random() < 0.5
            options = (f"kernel: [{kernel[0]}, {kernel[1]}], stride: [{stride[0]}, {stride[1]}], "
                       f"padding: [{', '.join(map(str, pads))}], ceil_mode: {str(ceil_mode).lower()}")
            if kind == "avgpool":
                options += f", count_include_pad: {str(cip).lower()}"
            summary, exported, session = self.export(f"  - {kind}: {{{options}}}\n", (2, h, w))
            x = np_rng.standard_normal((1, 2, h, w)).astype(np.float32)
            got = session.run(None, {"input": x})[0][0]
            want = reference_pool(x[0].astype(np.float64), kind, kernel, stride, pads, ceil_mode, cip)
            label = f"{kind} {options} on {h}×{w}"
            self.assertEqual(list(got.shape), list(want.shape), label)
            self.assertEqual(list(got.shape), summary["output_shape"], label)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=label)
            floor = reference_pool(x[0], kind, kernel, stride, pads, False, cip).shape
            if kind == "avgpool" and cip and any(pads) and floor != want.shape:
                ceil_overhang_with_pad += 1
            cases += 1
        self.assertGreater(cases, 100)
        self.assertGreater(ceil_overhang_with_pad, 3)

    def test_avgpool_ceil_overhang_divisor_by_hand(self):
        """6×6 input, kernel 3, stride 2, padding 1, ceil mode: 4 windows per side, the last one
        reaching one row past the padding. With count_include_pad the divisor counts the padding
        row but not the overhang: the last window of a row of ones sums 2 (the input rows 4 and 5)
        over 2 + 1 = 3 positions."""
        x = np.ones((1, 1, 6, 6), dtype=np.float32)
        for cip, corner, edge, last in ((True, 4 / 9, 6 / 9, 1 / 4), (False, 1.0, 1.0, 1.0)):
            _, _, session = self.export(
                "  - avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, "
                f"count_include_pad: {str(cip).lower()}}}\n", (1, 6, 6))
            y = session.run(None, {"input": x})[0][0, 0]
            self.assertEqual(y.shape, (4, 4))
            # Window rows: [-1, 1], [1, 3], [3, 5], [5, 7]: the last has rows 5 (input) and 6
            # (padding) in the divisor when padding counts, and row 7 (overhang) never.
            self.assertAlmostEqual(float(y[0, 0]), corner, places=6)
            self.assertAlmostEqual(float(y[1, 1]), 1.0, places=6)
            self.assertAlmostEqual(float(y[0, 1]), edge, places=6)
            self.assertAlmostEqual(float(y[3, 3]), last, places=6)

    def test_ceil_mode_drops_a_window_that_starts_in_the_padding(self):
        """5 wide, kernel 2, stride 2, padding 1 both sides, ceil mode: ceil((5 + 2 − 2)/2) + 1 = 4,
        but the 4th window would start at 6 ≥ 5 + 1 (in the end padding), so there are 3 — where
        ONNX's own shape inference for ceil_mode=1 would say 4."""
        summary, exported, session = self.export("  - maxpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}\n",
                                                  (1, 5, 5))
        self.assertEqual(summary["output_shape"], [1, 3, 3])
        x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
        y = session.run(None, {"input": x})[0]
        self.assertEqual(y.shape, (1, 1, 3, 3))
        np.testing.assert_array_equal(y[0, 0], [[0, 2, 4], [10, 12, 14], [20, 22, 24]])

    def test_padding_modes_match_the_spec(self):
        """Every padding mode with asymmetric paddings, strides, dilations and groups, including
        circular padding equal to the side."""
        rng = random.Random(11)
        np_rng = np.random.default_rng(11)
        cases = 0
        for mode in ["zeros", "constant", "reflect", "replicate", "circular"] * 8:
            h, w = rng.randint(1, 7), rng.randint(1, 7)
            limit_h = h - 1 if mode == "reflect" else h if mode == "circular" else 3
            limit_w = w - 1 if mode == "reflect" else w if mode == "circular" else 3
            pads = [rng.randint(0, limit_h), rng.randint(0, limit_h), rng.randint(0, limit_w), rng.randint(0, limit_w)]
            kernel = (rng.randint(1, 3), rng.randint(1, 3))
            dilation = (rng.randint(1, 2), rng.randint(1, 2))
            stride = (rng.randint(1, 2), rng.randint(1, 2))
            if dilation[0] * (kernel[0] - 1) + 1 > h + pads[0] + pads[1] or \
                    dilation[1] * (kernel[1] - 1) + 1 > w + pads[2] + pads[3]:
                continue
            groups = rng.choice([1, 2])
            cin, cout = 2, 2 * rng.randint(1, 2)
            value = rng.choice([0.0, 1.5, -2.0])
            options = (f"channels: {cout}, kernel: [{kernel[0]}, {kernel[1]}], stride: [{stride[0]}, {stride[1]}], "
                       f"dilation: [{dilation[0]}, {dilation[1]}], padding: [{', '.join(map(str, pads))}], "
                       f"padding_mode: {mode}, groups: {groups}")
            if mode == "constant":
                options += f", padding_value: {value}"
            weight = np_rng.standard_normal((cout, cin // groups, *kernel)).astype(np.float32)
            bias = np_rng.standard_normal(cout).astype(np.float32)
            summary, exported, session = self.export(f"  - conv: {{name: c, {options}}}\n", (cin, h, w),
                                                     {"c.weight": weight, "c.bias": bias})
            x = np_rng.standard_normal((1, cin, h, w)).astype(np.float32)
            got = session.run(None, {"input": x})[0][0]
            want = reference_conv(x[0], weight.astype(np.float64), bias, stride, dilation, pads, mode, value, groups)
            label = f"conv {options} on {h}×{w}"
            self.assertEqual(list(got.shape), summary["output_shape"], label)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=label)
            cases += 1
        self.assertGreater(cases, 30)

    def test_circular_padding_wraps_both_axes(self):
        x = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)
        _, _, session = self.export(
            "  - conv: {channels: 1, kernel: 1, padding: [2, 1, 3, 1], padding_mode: circular, bias: false, "
            "weight: [[1]]}\n", (1, 2, 3))
        y = session.run(None, {"input": x})[0][0, 0]
        want = np.pad(x[0, 0], ((2, 1), (3, 1)), mode="wrap")
        np.testing.assert_array_equal(y, want)

    def test_activations_and_softmax_match_the_spec(self):
        x = np.random.default_rng(3).standard_normal((2, 3, 4, 5)).astype(np.float32) * 3
        xd = x.astype(np.float64)
        erf = np.vectorize(math.erf)
        expected = {
            "relu": np.maximum(xd, 0),
            "relu6": np.clip(xd, 0, 6),
            "leaky_relu: {alpha: 0.2}": np.where(xd >= 0, xd, 0.2 * xd),
            "elu: {alpha: 1.5}": np.where(xd > 0, xd, 1.5 * (np.exp(xd) - 1)),
            "sigmoid": 1 / (1 + np.exp(-xd)),
            "tanh": np.tanh(xd),
            "gelu": xd / 2 * (1 + erf(xd / math.sqrt(2))),
            "silu": xd / (1 + np.exp(-xd)),
            "softmax": np.exp(xd - xd.max(axis=1, keepdims=True)) / np.exp(xd - xd.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
            "dropout: {rate: 0.5}": xd,
        }
        for layer, want in expected.items():
            _, exported, session = self.export(f"  - {layer}\n", (3, 4, 5))
            got = session.run(None, {"input": x})[0]
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=layer)
        # Gelu is built from Erf (opset 17 has no Gelu).
        _, exported, _ = self.export("  - gelu\n", (3, 4, 5))
        self.assertIn("Erf", [n.op_type for n in exported.model.graph.node])

    def test_batchnorm_flatten_dense_and_layers_after_flatten(self):
        rng = np.random.default_rng(4)
        weights = {
            "bn.weight": rng.uniform(0.5, 1.5, 2).astype(np.float32),
            "bn.bias": rng.uniform(-0.5, 0.5, 2).astype(np.float32),
            "bn.running_mean": rng.uniform(-0.5, 0.5, 2).astype(np.float32),
            "bn.running_var": rng.uniform(0.5, 1.5, 2).astype(np.float32),
            "fc.weight": rng.standard_normal((4, 18)).astype(np.float32),
            "fc.bias": rng.standard_normal(4).astype(np.float32),
            "after.weight": rng.standard_normal((3, 4, 3, 3)).astype(np.float32),
        }
        summary, exported, session = self.export(
            "  - batchnorm: {name: bn, eps: 0.001}\n  - flatten\n  - dense: {name: fc, units: 4}\n"
            "  - conv: {name: after, channels: 3, kernel: 3, padding: 1, bias: false}\n"
            "  - maxpool: {kernel: 2, padding: [0, 1, 0, 1]}\n", (2, 3, 3), weights)
        x = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
        xd = x.astype(np.float64)
        w = {k: v.astype(np.float64) for k, v in weights.items()}
        bn = (xd - w["bn.running_mean"][None, :, None, None]) / np.sqrt(w["bn.running_var"][None, :, None, None] + 0.001) \
            * w["bn.weight"][None, :, None, None] + w["bn.bias"][None, :, None, None]
        fc = bn.reshape(2, -1) @ w["fc.weight"].T + w["fc.bias"]
        # A 3×3 kernel with padding 1 on a 1×1 input sees only its centre tap.
        conv = fc @ w["after.weight"][:, :, 1, 1].T
        got = session.run(None, {"input": x})[0]
        self.assertEqual(summary["output_shape"], [3, 1, 1])
        self.assertEqual(got.shape, (2, 3, 1, 1))
        np.testing.assert_allclose(got[:, :, 0, 0], conv, rtol=1e-4, atol=1e-5)

    def test_add_mul_and_concat_match_the_spec(self):
        """add of three inputs in listed order, mul of one shape, mul by a C×1×1 gate in both
        orders (from a global pool, 4-D, and from a dense layer, 2-D), concat in listed order."""
        rng = np.random.default_rng(6)
        weights = {"fc.weight": rng.standard_normal((3, 3)).astype(np.float32),
                   "fc.bias": rng.standard_normal(3).astype(np.float32)}
        layers = ("  - relu: {name: r}\n"
                  "  - sigmoid: {name: s, from: input}\n"
                  "  - add: {name: sum3, from: [input, r, s]}\n"
                  "  - mul: {name: product, from: [r, s]}\n"
                  "  - global_avgpool: {name: gap, from: input}\n"
                  "  - mul: {name: gate_second, from: [input, gap]}\n"
                  "  - mul: {name: gate_first, from: [gap, s]}\n"
                  "  - dense: {name: fc, units: 3, from: gap}\n"
                  "  - mul: {name: dense_gate, from: [fc, r]}\n"
                  "  - concat: {name: joined, from: [s, input, r]}\n"
                  "  - add: {name: total, from: [sum3, product, gate_second, gate_first, dense_gate], activation: tanh}\n")
        names = ["sum3", "product", "gate_second", "gate_first", "dense_gate", "joined", "total"]
        summary, exported, session = self.export(layers, (3, 4, 5), weights, extra_outputs=names)
        self.assertEqual(summary["output"], "tanh1")
        x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
        got = self.run_outputs(exported, session, x, names + ["tanh1"])
        xd = x.astype(np.float64)
        r, s = np.maximum(xd, 0), 1 / (1 + np.exp(-xd))
        gap = xd.mean(axis=(2, 3))
        fc = gap @ weights["fc.weight"].T.astype(np.float64) + weights["fc.bias"]
        want = {"sum3": xd + r + s, "product": r * s, "gate_second": xd * gap[:, :, None, None],
                "gate_first": gap[:, :, None, None] * s, "dense_gate": fc[:, :, None, None] * r,
                "joined": np.concatenate([s, xd, r], axis=1)}
        want["total"] = want["sum3"] + want["product"] + want["gate_second"] + want["gate_first"] + want["dense_gate"]
        want["tanh1"] = np.tanh(want["total"])
        for name, value in want.items():
            self.assertEqual(got[name].shape, value.shape, name)
            np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-5, err_msg=name)
        ops = {n.name: n.op_type for n in exported.model.graph.node}
        self.assertEqual(ops["total"], "Add")
        self.assertEqual(sum(1 for n in exported.layer("total").nodes if ops[n] == "Add"), 4)
        self.assertEqual(ops["joined"], "Concat")

    def test_mixed_ranks_at_a_merge(self):
        """A flat value from flatten ([N, F]) meets one from a global pool ([N, F, 1, 1]): the
        exporter lifts the 2-D one, where ONNX broadcasting would have made [N, F, N, F]."""
        layers = ("  - global_avgpool: {name: gap}\n  - flatten: {name: flat}\n"
                  "  - add: {name: doubled, from: [flat, gap]}\n  - mul: {name: squared, from: [gap, flat]}\n"
                  "  - concat: {name: joined, from: [flat, gap, doubled, squared]}\n")
        summary, exported, session = self.export(layers, (3, 2, 2))
        x = np.random.default_rng(7).standard_normal((2, 3, 2, 2)).astype(np.float32)
        got = session.run(None, {"input": x})[0]
        gap = x.astype(np.float64).mean(axis=(2, 3))
        self.assertEqual(summary["output_shape"], [12, 1, 1])
        self.assertEqual(got.reshape(2, -1).shape, (2, 12))
        np.testing.assert_allclose(got.reshape(2, -1), np.concatenate([gap, gap, 2 * gap, gap * gap], axis=1),
                                   rtol=1e-5, atol=1e-6)

    def test_upsample_matches_the_spec(self):
        """Nearest and bilinear, square and non-square scales, odd and even sides, against a
        transcription of PyTorch's align_corners=False formula."""
        rng = np.random.default_rng(8)
        for mode, scale, (h, w) in itertools.product(["nearest", "bilinear"], [(2, 2), (3, 3), (2, 3), (1, 4), (3, 1)],
                                                     [(1, 1), (3, 4), (5, 2)]):
            written = scale[0] if scale[0] == scale[1] else list(scale)
            summary, _, session = self.export(f"  - upsample: {{scale: {written}, mode: {mode}}}\n", (2, h, w))
            x = rng.standard_normal((1, 2, h, w)).astype(np.float32)
            got = session.run(None, {"input": x})[0][0]
            want = reference_upsample(x[0].astype(np.float64), scale, mode)
            label = f"upsample {mode} ×{scale} on {h}×{w}"
            self.assertEqual(list(got.shape), summary["output_shape"], label)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=label)

    def test_conv_transpose_matches_the_spec(self):
        """Strides, four-sided paddings (crops), output_padding, dilation, groups and bias,
        against the scatter definition; inline weights [in, out/groups, kh, kw] too."""
        rng = random.Random(9)
        np_rng = np.random.default_rng(9)
        cases = large_output_padding = 0
        for _ in range(60):
            kernel = (rng.randint(1, 4), rng.randint(1, 4))
            stride = (rng.randint(1, 3), rng.randint(1, 3))
            dilation = (rng.randint(1, 2), rng.randint(1, 2))
            output_padding = tuple(rng.randint(0, max(s, d) - 1) for s, d in zip(stride, dilation))
            pads = [rng.randint(0, 2) for _ in range(4)]
            h, w = rng.randint(1, 5), rng.randint(1, 5)
            groups = rng.choice([1, 2])
            cin, cout = 2, 2 * rng.randint(1, 2)
            oh = (h - 1) * stride[0] - pads[0] - pads[1] + dilation[0] * (kernel[0] - 1) + output_padding[0] + 1
            ow = (w - 1) * stride[1] - pads[2] - pads[3] + dilation[1] * (kernel[1] - 1) + output_padding[1] + 1
            if oh < 1 or ow < 1:
                continue
            bias_on = rng.random() < 0.7
            options = (f"channels: {cout}, kernel: [{kernel[0]}, {kernel[1]}], stride: [{stride[0]}, {stride[1]}], "
                       f"dilation: [{dilation[0]}, {dilation[1]}], padding: [{', '.join(map(str, pads))}], "
                       f"output_padding: [{output_padding[0]}, {output_padding[1]}], groups: {groups}, "
                       f"bias: {str(bias_on).lower()}")
            weight = np_rng.standard_normal((cin, cout // groups, *kernel)).astype(np.float32)
            bias = np_rng.standard_normal(cout).astype(np.float32) if bias_on else None
            weights = {"t.weight": weight} | ({"t.bias": bias} if bias_on else {})
            summary, exported, session = self.export(f"  - conv_transpose: {{name: t, {options}}}\n", (cin, h, w), weights)
            x = np_rng.standard_normal((1, cin, h, w)).astype(np.float32)
            got = session.run(None, {"input": x})[0][0]
            want = reference_conv_transpose(x[0].astype(np.float64), weight.astype(np.float64), bias, stride, dilation,
                                            pads, output_padding, groups)
            label = f"conv_transpose {options} on {h}×{w}"
            self.assertEqual(list(got.shape), summary["output_shape"], label)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=label)
            cases += 1
            large_output_padding += any(op >= st for op, st in zip(output_padding, stride))
        self.assertGreater(cases, 40)
        # output_padding ≥ stride (allowed when the dilation is larger): ONNX Runtime refuses it in
        # ConvTranspose, so the exporter spells it out (uncropped ConvTranspose, Pad, Slice, bias).
        self.assertGreater(large_output_padding, 3)
        # There the crop may even remove every row the input reaches: a 1×1 input, kernel 1,
        # dilation 3, top crop 1 and output_padding 2 leave two rows holding the bias alone.
        summary, _, session = self.export(
            "  - conv_transpose: {channels: 1, kernel: 1, dilation: 3, padding: [1, 0, 0, 0], output_padding: [2, 0], "
            "weight: [[[[2.0]]]], bias: [0.5]}\n", (1, 1, 1))
        self.assertEqual(summary["output_shape"], [1, 2, 1])
        np.testing.assert_array_equal(session.run(None, {"input": np.ones((1, 1, 1, 1), np.float32)})[0][0, 0],
                                      [[0.5], [0.5]])
        # Inline weights, given as the full [in][out/groups][kh][kw] list.
        weight = [[[[1.0, 2.0]]], [[[-1.0, 0.5]]]]
        _, _, session = self.export(
            f"  - conv_transpose: {{channels: 2, kernel: [1, 2], stride: 2, groups: 2, bias: [0.25, -0.5], weight: {weight}}}\n",
            (2, 1, 2))
        x = np.array([[[[1.0, 3.0]], [[2.0, -1.0]]]], dtype=np.float32)
        want = reference_conv_transpose(x[0].astype(np.float64), np.array(weight), np.array([0.25, -0.5]),
                                        (2, 2), (1, 1), (0, 0, 0, 0), (0, 0), 2)
        np.testing.assert_allclose(session.run(None, {"input": x})[0][0], want, rtol=1e-6)

    def test_output_and_unused_layers(self):
        """`output:` picks the graph output; layers it does not read are left out of the model
        unless asked for, and then they are extra outputs that do not disturb the output."""
        layers = ("  - relu: {name: a}\n  - sigmoid: {name: b}\n  - tanh: {name: unused, from: a}\n")
        summary, exported, session = self.export(layers, (1, 2, 3), top_level="output: b\n")
        self.assertEqual([r.name for r in exported.layers], ["a", "b"])
        x = np.random.default_rng(10).standard_normal((1, 1, 2, 3)).astype(np.float32)
        np.testing.assert_allclose(session.run(["output"], {"input": x})[0], 1 / (1 + np.exp(-np.maximum(x, 0))), rtol=1e-6)
        summary, exported, session = self.export(layers, (1, 2, 3), top_level="output: b\n", extra_outputs=["unused"])
        self.assertTrue(next(l for l in summary["layers"] if l["name"] == "unused")["unused"])
        self.assertEqual([o.name for o in exported.model.graph.output], ["output", exported.layer("unused").output])
        got = session.run(None, {"input": x})
        np.testing.assert_allclose(got[1], np.tanh(np.maximum(x, 0)), rtol=1e-6)

    def test_names_and_interface(self):
        """Readable names: nodes after layers, initializers after safetensors tensors; one input
        `input` with a dynamic batch and one output `output`."""
        _, exported, _ = self.export(
            '  - conv: {name: "features.0", channels: 2, kernel: 3, padding: 1, padding_mode: reflect}\n'
            "  - relu6\n  - global_avgpool\n  - flatten\n  - dense: {name: classifier, units: 3}\n",
            (1, 5, 5), {"features.0.weight": np.ones((2, 1, 3, 3), np.float32),
                        "features.0.bias": np.zeros(2, np.float32),
                        "classifier.weight": np.ones((3, 2), np.float32),
                        "classifier.bias": np.zeros(3, np.float32)})
        graph = exported.model.graph
        node_names = [n.name for n in graph.node]
        for name in ("features.0/pad", "features.0", "relu6_1", "global_avgpool1", "flatten1", "classifier"):
            self.assertIn(name, node_names)
        initializers = {i.name for i in graph.initializer}
        self.assertTrue({"features.0.weight", "features.0.bias", "classifier.weight", "classifier.bias"} <= initializers)
        self.assertEqual([i.name for i in graph.input], ["input"])
        self.assertEqual(graph.input[0].type.tensor_type.shape.dim[0].dim_param, "N")
        self.assertEqual([o.name for o in graph.output], ["output"])
        self.assertEqual(exported.model.opset_import[0].version, 17)

    def test_safetensors_reader(self):
        """F32, F16, BF16 and F64 tensors, as cnnc accepts them."""
        import json
        import struct
        tensors = {"a": np.array([1.5, -2.0], np.float32), "b": np.array([[0.25]], np.float16),
                   "c": np.array([3.0], np.float64)}
        header, blobs, offset = {}, [], 0
        for name, array in tensors.items():
            data = array.tobytes()
            header[name] = {"dtype": {np.float32: "F32", np.float16: "F16", np.float64: "F64"}[array.dtype.type],
                            "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
        bf16 = (np.array([1.0, -0.5], np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()
        header["d"] = {"dtype": "BF16", "shape": [2], "data_offsets": [offset, offset + 4]}
        blobs.append(bf16)
        text = json.dumps(header).encode()
        path = Path(self.directory.name) / "t.safetensors"
        path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
        read = cnnc_onnx.read_safetensors(path)
        np.testing.assert_array_equal(read["a"], [1.5, -2.0])
        np.testing.assert_array_equal(read["b"], [[0.25]])
        np.testing.assert_array_equal(read["c"], [3.0])
        np.testing.assert_array_equal(read["d"], [1.0, -0.5])
        self.assertTrue(all(v.dtype == np.float32 for v in read.values()))


if __name__ == "__main__":
    unittest.main()
