#!/usr/bin/env python3
"""Tests of the ONNX exporter against docs/spec.md itself, independently of `cnnc run`.

Each test writes a small spec, lets `cnnc summary` resolve it, exports it with tools/cnnc_onnx.py,
runs it in ONNX Runtime and compares with a direct numpy transcription of the spec's definitions
(pool windows and divisors, ceil mode with its dropped last window, padding modes, activations,
softmax over channels). The differential tests compare ONNX Runtime with cnnc; these make sure the
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

    def export(self, yaml_layers: str, shape, weights=None):
        type(self).counter += 1
        path = Path(self.directory.name) / f"spec{self.counter}.yaml"
        c, h, w = shape
        path.write_text(f"name: t\ninput: {{channels: {c}, height: {h}, width: {w}}}\nlayers:\n{yaml_layers}",
                        encoding="utf-8")
        summary = cnnc_onnx.run_summary(path, self.cnnc)
        exported = cnnc_onnx.export_model(summary, dict(weights or {}) | cnnc_onnx.inline_weights(path, summary))
        return summary, exported, cnnc_onnx.make_session(exported.model)

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
