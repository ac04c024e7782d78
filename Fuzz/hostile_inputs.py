#!/usr/bin/env python3
"""The hostile inputs of the hardening issue (#13) as files: the seeds of the fuzz corpus and the
cases of Fuzz/budgets.py. Each returns {file name: bytes}; `full=True` gives the full-sized versions
of the cost cases (hundreds of kilobytes), `full=False` small ones of the same shape for the corpus."""
from __future__ import annotations

import hashlib
import json
import struct


def _safetensors(header: dict | str, data: bytes) -> bytes:
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    while len(text.encode()) % 8:
        text += " "
    return struct.pack("<Q", len(text.encode())) + text.encode() + data


def specs(full: bool) -> dict[str, bytes]:
    head = "name: m\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n"
    flat = "name: t\ninput: {channels: 1, height: 1, width: 1}\nlayers:\n"
    layers = 10_001 if full else 101
    bad = 10_000 if full else 320
    labels = 65_537 if full else 6
    return {
        "replicated-filter.yaml": head + "  - conv: {channels: 2147483647, kernel: 3, weight: [[1,2,1],[2,4,2],[1,2,1]]}\n",
        "large-dense.yaml": flat + "  - flatten: {}\n  - dense: {units: 2000000000}\n",
        "huge-macs.yaml": "name: m\ninput: {channels: 2147483647, height: 2147483647, width: 2147483647}\nlayers:\n  - conv: {channels: 2147483647, kernel: 3}\n",
        "most-layers.yaml": flat + "  - relu\n" * (layers - 1),
        "most-layers-with-activations.yaml": head + "  - conv: {channels: 4, kernel: 3, padding: same, activation: relu}\n" * (layers - 1),
        "too-many-layers.yaml": flat + "  - relu\n" * layers,
        "many-bad-layers.yaml": head + "  - relu: {alpha: 1}\n" * bad,
        "many-labels.yaml": flat + f"  - flatten: {{}}\n  - dense: {{units: {labels}}}\nlabels: [" + ", ".join(["x"] * labels) + "]\n",
        "label-escape.yaml": flat + "  - flatten: {}\n  - dense: {units: 2}\nlabels: [\"a\\e[31m\", \"b\\0\"]\n",
        "name-combining-marks.yaml": flat + "  - relu: {name: \"a" + "\u0301" * 200 + "\"}\n",
        "name-bidi.yaml": flat + "  - relu: {name: \"rtl\u202eexe\"}\n",
        "kernel-names.yaml": "name: dense\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n"
                             "  - conv: {name: maxPool, channels: 2, kernel: 3}\n  - relu: {name: dense}\n  - flatten: {name: self}\n",
        "integer-overflow.yaml": "name: m\ninput: {channels: 99999999999999999999, height: 4, width: 4}\nlayers:\n  - relu\n",
        "deep-nesting.yaml": "name: m\ninput: {channels: 1, height: 1, width: 1}\nlayers: " + "[" * 200 + "]" * 200 + "\n",
        "billion-laughs.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    }


def spec_bytes(full: bool) -> dict[str, bytes]:
    return {name: text.encode() for name, text in specs(full).items()}


def safetensors(full: bool) -> dict[str, bytes]:
    names = ["evil\u001b[31mred", "rtl\u202eexe.yaml", "nl\nerror: fake"]
    escaped = {name: {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i, name in enumerate(names)}
    count = 500 if full else 20
    similar = {f"layer{i}.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]} for i in range(count)}
    return {
        "escaped-names.safetensors": _safetensors(escaped, bytes(4 * len(names))),
        "similar-names.safetensors": _safetensors(similar, bytes(4000)),
        "header-too-large.safetensors": struct.pack("<Q", 1 << 62) + b"{}",
        "offsets-overflow.safetensors": _safetensors({"t": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}, bytes(16)),
        "f16.safetensors": _safetensors({"__metadata__": {"format": "pt"}, "h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
                                         "b": {"dtype": "BF16", "shape": [1, 1], "data_offsets": [4, 6]}}, bytes(8)),
    }


def npy(full: bool) -> dict[str, bytes]:
    def array(descr: str, shape: tuple, data: bytes, version: int = 1) -> bytes:
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape if len(shape) != 1 else f"({shape[0]},)")
        header += " " * ((64 - (len(header) + 11) % 64) % 64) + "\n"
        size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
        return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + data
    return {
        "f4.npy": array("<f4", (1, 2, 2), struct.pack("<4f", 1, 2, 3, 4)),
        "f8-v2.npy": array("<f8", (2,), struct.pack("<2d", 0.5, -1), version=2),
        "huge-shape.npy": array("<f4", (4611686018427387904, 4), bytes(16)),
        "big-endian.npy": array(">f4", (1,), struct.pack(">f", 1)),
    }


def netpbm(full: bool) -> dict[str, bytes]:
    return {
        "p5.pgm": b"P5\n# a comment\n2 2\n255\n\x00\x40\x80\xff",
        "p6-16bit.ppm": b"P6 1 1 65535\n" + bytes(6),
        "p2.pgm": b"P2\n2 1\n15\n0 15\n",
        "p3.ppm": b"P3 1 1 255 1 2 3",
        "huge.pgm": b"P5 2147483647 2147483647 255\n" + bytes(4),
    }


def pipeline_seeds(count: int) -> dict[str, bytes]:
    """Fixed byte strings for the structure-aware target (its choices), the same on every machine."""
    return {f"seed-{i:02}": b"".join(hashlib.sha256(f"cnnc-fuzz-{i}-{k}".encode()).digest() for k in range(8)) for i in range(count)}
