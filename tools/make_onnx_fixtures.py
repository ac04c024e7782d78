#!/usr/bin/env python3
"""Writes Tests/Fixtures/onnx/pytorch/: ONNX files made by PyTorch's own exporters, for the importer.

    tools/.venv-torch/bin/python tools/make_onnx_fixtures.py      # from the repository root

Needs the scratch virtual environment of tools/train_digits.py (tools/.venv-torch; CI has no
PyTorch and nothing in the build or the tests runs this script — only its outputs are committed):

    python3 -m venv tools/.venv-torch
    tools/.venv-torch/bin/pip install torch torchvision onnx==1.23.2 onnxruntime==1.32.0 \
        numpy==2.4.6 scikit-learn safetensors onnxscript

Versions used for the committed outputs: Python 3.11.7, torch 2.15.0 (PyPI wheel 2.15.0+cu132, run
on the CPU), torchvision 0.29.2, onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2 (the dynamo
exporter's back end), onnx_ir 1.1.0, numpy 2.4.6. Other versions emit other graphs.

For every module (tools/torch_fixture_models.py, torchvision's mobilenet_v2, and the trained
models/digits.safetensors) it exports with `torch.onnx.export`:

- the TorchScript-based exporter (`dynamo=False`, do_constant_folding=True, the default
  `training=TrainingMode.EVAL`): NAME.onnx;
- the dynamo-based exporter (`dynamo=True`, `external_data=False`, the default `optimize=True`):
  NAME-dynamo.onnx, or, when it fails, the one-line reason in README.md instead of a file.

Variants beyond that pair: resnet20.onnx keeps BatchNormalization (TorchScript with
training=TrainingMode.PRESERVE on the eval-mode model) and resnet20-dynamo.onnx too (optimize=False,
the only switch that stops the dynamo optimizer from fusing it), while resnet20-folded.onnx and
resnet20-folded-dynamo.onnx are the exporters' defaults, which fold BatchNorm into the convolutions;
flatten_view-nofold.onnx is TorchScript with do_constant_folding=False. The dynamo exporter works at
opset 18 and converts down; when that conversion fails it keeps opset 18 (the README lists the logged
reasons), and where it succeeds it can change the meaning (softmax_opset11_spatial-dynamo.onnx, kept
and marked **differs**: its ONNX Runtime output is not the module's).

Inputs are batch 1 with static shapes (no dynamic axes), named `input`; outputs `output`. Weights are
drawn after torch.manual_seed (see SEEDS) with every BatchNorm given non-trivial statistics,
except digits, whose weights are the trained ones. For each file it writes NAME.input.npy (seeded
standard normal float32; for digits the first held-out test image) and NAME.output.npy, the output
of ONNX Runtime (CPU, one thread) on that input, after checking that it matches PyTorch's own
output. README.md is generated: a table of the files with their ONNX operator sets, the notable
nodes of each file (pads, pools, Resize, Clip, Reshape, Softmax, …), and the dynamo failures.

Running it twice gives the same bytes (checked when the fixtures were made), as long as it runs from
the same directory: the dynamo files embed Python stack traces with absolute paths and line numbers
(node metadata_props), so another checkout path, or an edit of tools/torch_fixture_models.py, changes
their bytes (not their graphs).
"""
import contextlib
import io
import logging
import os
import platform
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torchvision
from onnx import numpy_helper
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_fixture_models as M  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/Fixtures/onnx/pytorch")
PRESERVE = torch.onnx.TrainingMode.PRESERVE
TOLERANCE = 1e-4


# What the exporters emitted, for the importer. Written by hand after reading the generated tables
# below (every claim can be checked there or in the files); observed with the versions in the README.
OBSERVATIONS = """\
## What the exporters emit (read by hand from the files below)

- **BatchNorm is usually gone.** The TorchScript exporter's default (`training=TrainingMode.EVAL`)
  folds every BatchNorm that follows a convolution into that convolution (`digits`, `mnist_sequential-*`,
  `mobilenetv2`, `resnet20-folded`): no `BatchNormalization` node, a bias on every convolution (also those
  written `bias=False`), and the folded tensors get anonymous names (`onnx::Conv_203`) while unfolded ones
  keep their state-dict names (`conv3.weight`, `fc.bias`). Only `training=TrainingMode.PRESERVE` on an
  eval-mode model keeps `BatchNormalization` (`resnet20.onnx`: `training_mode=0`, `momentum=0.9`,
  `epsilon=1e-5` as float32, 9.999999747378752e-06).
- **The dynamo exporter's optimizer fuses BatchNorm too, and keeps the convolution's name for the fused
  weights**: in `resnet20-folded-dynamo.onnx` and `digits-dynamo.onnx` the initializer `conv1.weight` holds the
  BN-scaled values (not the state dict's `conv1.weight`) and `conv1.weight_bias` the new bias. Binding by
  name against a PyTorch state dict would silently mix fused and unfused values. With `optimize=False`
  (`resnet20-dynamo.onnx`) BatchNormalization stays, but every bias-free convolution gets a zero bias
  computed at run time: `Shape(weight, start=0, end=1)` → `Expand` of a `CastLike(0)` → Conv's third
  input, plus `Shape`/`Concat`/`Reshape` around the final flatten; an importer must constant-fold these.
- **The optimizer also drops an all-zero bias**: torchvision initialises the classifier's bias to zeros,
  and `mobilenetv2-dynamo.onnx` has `Gemm(x, classifier.1.weight)` with no C input and no
  `classifier.1.bias` initializer.
- **The dynamo exporter works at opset 18 and converts down afterwards**; when the conversion fails it
  logs the reason and silently writes opset 18 (table above): `ReduceMean`'s axes input (any global
  average pool), `Pad`, `Gemm` below 13 and `Identity` below 16 have no down-converter. Where the
  conversion succeeds it can be wrong: `softmax_opset11_spatial-dynamo.onnx` is opset 11 with
  `Softmax(axis=1)` on the [1, 5, 4, 4] tensor, which at opset 11 means a softmax over the flattened
  C·H·W = 80 values, not over the channels. ONNX Runtime follows opset 11 (its output equals a softmax over
  all 80 values), so the file differs from the PyTorch module by 0.37. An importer must apply opset-11
  Softmax semantics (coerce to 2-D at `axis`) and refuse or flatten this one; cnnc has no such softmax.
- **`circular_pad-dynamo.onnx` declares opset 18 but uses `Pad(mode=wrap)`**, which ONNX added in opset 19;
  `onnx.checker` (full check) and ONNX Runtime accept it anyway. The TorchScript exporter writes circular
  padding as slices instead: per axis `Concat(Slice(x, [-1]→end), x, Slice(x, [0]→[1]))` along H (axis 2)
  and then W (axis 3), and a `Conv` with zero `pads`.
- **Reflect padding**: dynamo gives `Pad(x, [0, 0, 1, 1, 0, 0, 1, 1], mode=reflect)` with constant pads
  (ONNX order: all begins, then all ends); TorchScript computes the same pads at run time from constants
  (`ConstantOfShape`, `Concat`, `Reshape`, `Slice` with step −1, `Transpose`, `Reshape`, `Cast` to int64), not
  folded even with do_constant_folding=True, and its output shape is then symbolic
  (`['Convoutput_dim_0', 8, 'Convoutput_dim_0', 'Convoutput_dim_3']`) although the input is static.
- **Flatten** has four spellings: `nn.Flatten`/`torch.flatten` → `Flatten(axis=1)` (TorchScript);
  `x.view(x.size(0), -1)` → `Reshape(x, [1, -1])` with the batch baked in as a constant 1 (TorchScript, static
  shapes), or `Unsqueeze` of constants + `Concat` → `Reshape` with do_constant_folding=False
  (`flatten_view-nofold.onnx`: no `Shape`/`Gather` left, the tracer already knew the sizes); every flatten
  from dynamo is `Reshape(x, [1, F], allowzero=1)`.
- **Global average pooling**: `GlobalAveragePool` (TorchScript); `ReduceMean(x, axes=[-1, -2], keepdims=1)`
  with the axes as a constant input and negative (dynamo).
- **ceil_mode** is carried as an attribute by both exporters: `MaxPool(ceil_mode=1, pads=[0, 0, 0, 0])`,
  `AveragePool(ceil_mode=1, count_include_pad=0, pads=[1, 1, 1, 1])`; no extra padding is added.
- **Bilinear `nn.Upsample(scale_factor=2, align_corners=False)`** → `Resize(x, roi=∅, scales=[1, 1, 2, 2],
  mode=linear, coordinate_transformation_mode=half_pixel)` (scales as a constant input, sizes omitted;
  dynamo also writes the default attributes explicitly). `ConvTranspose2d(k=2, s=2)` →
  `ConvTranspose(pads=[0, 0, 0, 0], strides=[2, 2])`, weight [in, out, kh, kw].
- **ReLU6 and Hardtanh(0, 6)** → `Clip(x, 0, 6)` with min and max as constant inputs (opset ≥ 11), both
  exporters; TorchScript makes them `Constant` nodes, dynamo initializers.
- **SiLU** → `Sigmoid` + `Mul(x, sigmoid)`; **GELU (exact)** → `Div(x, 1.41421)`, `Erf`, `Add(·, 1)`, `Mul(x, ·)`,
  `Mul(·, 0.5)` (dynamo: `Mul(0.5, ·)`, operands swapped); no `Gelu` op at opset 17.
- **Linear without bias**: TorchScript → `MatMul(x, W)` with W **pre-transposed** to [in, out]
  ([64, 10]) under an anonymous name; dynamo → `Gemm(x, W, transB=1)` with no C.
- **Softmax of [N, C] at opset 11** → `Softmax(axis=1)` from both exporters (dynamo's at opset 18). Of
  [N, C, H, W] over dim 1 at opset 11, TorchScript writes `Transpose(perm=[0, 3, 2, 1])`,
  `Softmax(axis=3)`, `Transpose(perm=[0, 3, 2, 1])`, which is right.
- **Squeeze-excitation** → `GlobalAveragePool` (or `ReduceMean`), 1×1 `Conv`s, `Sigmoid`, and a broadcasting
  `Mul([1, 16, 8, 8], [1, 16, 1, 1])`.
- **Names**: TorchScript nodes are named by module path (`/layer1/layer1.0/conv1/Conv`), dynamo nodes are
  not (`node_Conv_305`, `n4`); dynamo initializers keep state-dict names, plus `val_N` for constants.
  TorchScript writes IR 6 (opset 11), 7 (opset 13) or 8 (opset 17) and producer version `2.15.0`; dynamo
  IR 10 and `2.15.0+cu132`. Dynamo writes attributes in no sorted order and includes defaults
  (`auto_pad=NOTSET`, `storage_order=0`).
- **Dynamo nodes carry `metadata_props`**: `namespace` (the module path and class, e.g.
  `: torch_fixture_models.SEBlock/conv: torch.nn.modules.conv.Conv2d/conv2d: aten.conv2d.default`, from
  which an importer could recover layer names such as `conv`), `pkg.torch.onnx.class_hierarchy`,
  `pkg.torch.onnx.fx_node`, `pkg.torch.onnx.name_scopes` and `pkg.torch.onnx.stack_trace`, whose Python
  stack traces hold absolute paths and line numbers of the machine that exported
  (`/work/wt-torch/tools/torch_fixture_models.py`, line …). That is most of the size of the small dynamo
  files (`se_block-dynamo.onnx` is 11 KB against 3.5 KB), and it means the dynamo files change when they are
  regenerated from another directory or after an edit of the module file.
"""


def digits():
    model = M.DigitsNet()
    state = load_file(os.path.join(ROOT, "models/digits.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    return model.eval()


def digits_input(shape):
    images = np.load(os.path.join(ROOT, "Tests/Fixtures/digits/test-images.npy"))
    return images[:1].copy()


def mobilenetv2():
    return torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)


class Fixture:
    """One module, its input, and the exports made of it: (exporter, file stem, options, note)."""

    def __init__(self, name, module, build, shape, opset, seed, exports, make_input=None):
        self.name, self.module, self.build, self.shape, self.opset = name, module, build, shape, opset
        self.seed, self.exports, self.make_input = seed, exports, make_input


def both(stem, note=""):
    """The usual pair: TorchScript to STEM.onnx and dynamo to STEM-dynamo.onnx, default options."""
    return [("torchscript", stem, {}, note), ("dynamo", stem + "-dynamo", {}, "")]


FIXTURES = [
    Fixture("digits", "DigitsNet (trained, models/digits.safetensors)", digits, (1, 1, 8, 8), 17, 0,
            both("digits", "the trained digits model; input is the first held-out test image"),
            make_input=digits_input),
    *[Fixture("mnist_sequential", "nn.Sequential: Conv, ReLU, MaxPool, Conv, BN, ReLU, MaxPool, Flatten, "
              "Linear, ReLU, Dropout, Linear", M.mnist_sequential, (1, 1, 28, 28), opset, 1,
              both(f"mnist_sequential-opset{opset}")) for opset in (11, 13, 17)],
    Fixture("resnet20", "ResNet-20 (CIFAR, option-B shortcuts)", M.ResNet20, (1, 3, 32, 32), 17, 2, [
        ("torchscript", "resnet20", {"training": PRESERVE},
         "training=TrainingMode.PRESERVE on the eval-mode model: BatchNormalization kept"),
        ("dynamo", "resnet20-dynamo", {"optimize": False},
         "optimize=False, the only way to keep BatchNormalization (the optimizer fuses it into Conv)"),
        ("torchscript", "resnet20-folded", {}, "the exporter's default (TrainingMode.EVAL): BatchNorm folded into Conv"),
        ("dynamo", "resnet20-folded-dynamo", {}, "the exporter's default (optimize=True): BatchNorm fused into Conv"),
    ]),
    Fixture("mobilenetv2", "torchvision mobilenet_v2(width_mult=0.35, num_classes=10)", mobilenetv2,
            (1, 3, 96, 96), 13, 3, both("mobilenetv2")),
    Fixture("unet_small", "two-level U-Net: concat skips, bilinear Upsample, ConvTranspose2d(2, 2), sigmoid",
            M.UNetSmall, (1, 1, 64, 64), 17, 4,
            both("unet_small", "the network of models/unet_small.yaml, same layer names")),
    Fixture("circular_pad", "Conv2d(3, 8, 3, padding=1, padding_mode='circular')", M.CircularPad,
            (1, 3, 16, 16), 17, 5, both("circular_pad")),
    Fixture("reflect_pad", "Conv2d(3, 8, 3, padding=1, padding_mode='reflect')", M.ReflectPad,
            (1, 3, 16, 16), 17, 6, both("reflect_pad")),
    Fixture("ceil_pool", "MaxPool2d(3, 2, ceil_mode=True), AvgPool2d(3, 2, padding=1, ceil_mode=True, "
            "count_include_pad=False)", M.CeilPool, (1, 3, 16, 16), 17, 7,
            both("ceil_pool", "16 → 8 → 5 (floor would give 7 → 4)")),
    Fixture("flatten_view", "Conv2d, ReLU, x.view(x.size(0), -1), Linear", M.FlattenView, (1, 3, 8, 8), 17, 8,
            both("flatten_view") + [("torchscript", "flatten_view-nofold", {"do_constant_folding": False},
                                     "do_constant_folding=False: the shape computation as the tracer recorded it")]),
    Fixture("hardtanh_relu6", "Conv2d, ReLU6, Conv2d, Hardtanh(0, 6)", M.HardtanhRelu6, (1, 3, 8, 8), 17, 9,
            both("hardtanh_relu6")),
    Fixture("silu_gelu", "Conv2d, SiLU, Conv2d, GELU (exact)", M.SiluGelu, (1, 3, 8, 8), 17, 10, both("silu_gelu")),
    Fixture("softmax_opset11", "Linear(32, 10), softmax(dim=1) of an [N, C] tensor", M.SoftmaxFlat, (1, 32), 11, 11,
            both("softmax_opset11", "a 2-D [1, 32] input")),
    Fixture("softmax_opset11_spatial", "Conv2d, softmax(dim=1) of an [N, C, H, W] tensor", M.SoftmaxSpatial,
            (1, 3, 4, 4), 11, 12, both("softmax_opset11_spatial", "cnnc's per-position channel softmax, at opset 11")),
    Fixture("se_block", "Conv2d, ReLU, squeeze-excitation (AdaptiveAvgPool2d(1), 1×1 convs, sigmoid, mul)",
            M.SEBlock, (1, 3, 8, 8), 17, 13, both("se_block")),
    Fixture("linear_no_bias", "Flatten, Linear(64, 10, bias=False)", M.LinearNoBias, (1, 4, 4, 4), 17, 14,
            both("linear_no_bias")),
]

# Operators whose attributes and constant inputs the README lists, because importers must read them.
NOTABLE = {"Pad", "Resize", "Upsample", "MaxPool", "AveragePool", "Clip", "Reshape", "Flatten", "Softmax",
           "Gemm", "MatMul", "ConvTranspose", "Slice", "Concat", "Gather", "Unsqueeze", "Shape",
           "GlobalAveragePool", "ReduceMean", "BatchNormalization", "Transpose", "Gelu", "HardSigmoid",
           "Expand", "Mul", "Div", "Erf", "Add", "Sigmoid", "Cast", "Squeeze"}


class CapturedLogs(logging.Handler):
    """Collects what onnxscript and torch.onnx log during one export (instead of printing it)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def __enter__(self):
        self.loggers = [logging.getLogger(name) for name in ("onnxscript", "torch.onnx", "onnx_ir")]
        for logger in self.loggers:
            logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        for logger in self.loggers:
            logger.removeHandler(self)

    def conversion_failure(self):
        """The reason a version conversion failed, if one did."""
        for record in self.records:
            if record.exc_info and record.exc_info[1] is not None:
                return f"{type(record.exc_info[1]).__name__}: {one_line(record.exc_info[1])}"
        return None


def one_line(error, limit=300):
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + " …"


def export_torchscript(fixture, model, x, path, options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=fixture.opset,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=options.get("do_constant_folding", True),
                          training=options.get("training", torch.onnx.TrainingMode.EVAL))
    return None


def export_dynamo(fixture, model, x, path, options):
    with warnings.catch_warnings(), CapturedLogs() as logs, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (x,), dynamo=True, opset_version=fixture.opset,
                                    input_names=["input"], output_names=["output"], external_data=False,
                                    optimize=options.get("optimize", True))
        program.save(path, external_data=False)
    return logs.conversion_failure()


def run_ort(path, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x})
    return out


def constant_values(model):
    """Initializers and Constant-node outputs, as numpy arrays."""
    values = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(attr.t)
                elif attr.name in ("value_ints", "value_floats"):
                    values[node.output[0]] = np.array(onnx.helper.get_attribute_value(attr))
                elif attr.name in ("value_int", "value_float"):
                    values[node.output[0]] = np.array(onnx.helper.get_attribute_value(attr))
    return values


def show_value(name, values):
    if name == "":
        return "∅"
    if name in values:
        v = values[name]
        if v.size <= 8:
            return "[" + ", ".join(f"{a:g}" if isinstance(a, float) else str(a) for a in v.reshape(-1).tolist()) + "]" \
                if v.ndim else (f"{v.item():g}" if v.dtype.kind == "f" else str(v.item()))
        return f"<{v.dtype}{list(v.shape)}>"
    return "x"


def describe(node, values):
    attrs = []
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        if isinstance(v, onnx.TensorProto):
            v = show_value_tensor(v)
        attrs.append(f"{a.name}={v}")
    inputs = [show_value(i, values) for i in node.input]
    text = f"{node.op_type}({', '.join(inputs)})"
    if attrs:
        text += " " + " ".join(attrs)
    return text


def show_value_tensor(tensor):
    v = numpy_helper.to_array(tensor)
    return v.tolist() if v.size <= 8 else f"<{v.dtype}{list(v.shape)}>"


def inspect(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    values = constant_values(model)
    ops = sorted({n.op_type for n in model.graph.node} | {n.op_type for f in model.functions for n in f.node})
    notable = []
    for node in model.graph.node:
        if node.op_type in NOTABLE:
            d = describe(node, values)
            if d not in notable:
                notable.append(d)
    opset = {o.domain or "ai.onnx": o.version for o in model.opset_import}

    def shape(v):
        return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim]

    return {
        "ops": ops,
        "nodes": len(model.graph.node),
        "initializers": len(model.graph.initializer),
        "notable": notable,
        "opset": opset,
        "ir": model.ir_version,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "inputs": [(i.name, shape(i)) for i in model.graph.input],
        "outputs": [(o.name, shape(o)) for o in model.graph.output],
        "functions": len(model.functions),
    }


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith((".onnx", ".npy")):
            os.remove(os.path.join(OUT, old))
    rows, failures = [], []
    for fixture in FIXTURES:
        model = M.seeded(fixture.build, fixture.seed) if fixture.build is not digits else digits()
        if fixture.make_input:
            x_np = fixture.make_input(fixture.shape)
        else:
            x_np = np.random.default_rng(fixture.seed).standard_normal(fixture.shape).astype(np.float32)
        x = torch.from_numpy(x_np)
        with torch.no_grad():
            expected = model(x).numpy()
        for exporter, stem, options, note in fixture.exports:
            path = os.path.join(OUT, stem + ".onnx")
            export = export_torchscript if exporter == "torchscript" else export_dynamo
            try:
                conversion = export(fixture, model, x, path, options)
            except Exception as error:  # the reason goes into the README
                reason = f"{type(error).__name__}: {one_line(error)}"
                failures.append((stem + ".onnx", fixture.opset, reason))
                print(f"{stem}: {exporter} export failed: {reason}")
                if os.path.exists(path):
                    os.remove(path)
                continue
            out = run_ort(path, x_np)
            assert out.shape == expected.shape, (stem, out.shape, expected.shape)
            difference = float(np.abs(out - expected).max())
            np.save(os.path.join(OUT, stem + ".input.npy"), x_np)
            np.save(os.path.join(OUT, stem + ".output.npy"), out.astype(np.float32))
            info = inspect(path)
            info["conversion"] = conversion
            size = os.path.getsize(path)
            rows.append((stem + ".onnx", fixture, exporter, note, info, size, difference))
            print(f"{stem}.onnx: {exporter}, opset {info['opset']}, {size:,} bytes, "
                  f"|ORT − PyTorch| ≤ {difference:.2g}, ops {' '.join(info['ops'])}"
                  + (f"\n    version conversion failed: {conversion}" if conversion else ""))
            if difference > TOLERANCE:
                print(f"    WARNING: ONNX Runtime's output differs from PyTorch's by {difference:.3g}")
                assert exporter == "dynamo" and info["opset"]["ai.onnx"] < 13, "unexpected mismatch"
    write_readme(rows, failures)


def versions():
    import onnxscript
    return (f"Python {platform.python_version()}, torch {torch.__version__}, torchvision {torchvision.__version__}, "
            f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, onnxscript {onnxscript.__version__}, "
            f"numpy {np.__version__}")


def write_readme(rows, failures):
    lines = [
        "# ONNX files exported by PyTorch",
        "",
        "Written by `tools/make_onnx_fixtures.py` (do not edit by hand): real `torch.onnx.export` output for the",
        "importer (`cnnc import`). Each `NAME.onnx` has `NAME.input.npy` (seeded standard normal float32, batch 1;",
        "for digits the first held-out test image) and `NAME.output.npy`, ONNX Runtime's output on it (CPU, one",
        "thread). Every file passes `onnx.checker` (full check). Shapes are static, batch 1: input `input`,",
        "output `output` (neither exporter needed a dynamic batch).",
        "",
        "Regenerate (needs PyTorch in tools/.venv-torch: see the script's docstring):",
        "",
        "    tools/.venv-torch/bin/python tools/train_digits.py          # only if digits changes",
        "    tools/.venv-torch/bin/python tools/make_onnx_fixtures.py",
        "",
        f"Versions: {versions()}.",
        "",
        "torchscript = `torch.onnx.export(..., dynamo=False)` with do_constant_folding=True and",
        "training=TrainingMode.EVAL unless the note says otherwise; dynamo = `dynamo=True, external_data=False`",
        "with optimize=True unless the note says otherwise. Random weights are seeded; every BatchNorm has",
        "random affine parameters and running statistics. The column *max |ORT − PyTorch|* compares ONNX",
        f"Runtime's output with the PyTorch module's own; above {TOLERANCE:g} the file computes something else",
        "than the module did (marked **differs**).",
        "",
        "| file | module | exporter | opset asked | opset in file | ONNX ops used | nodes | size (bytes) | max \\|ORT − PyTorch\\| | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for file, fixture, exporter, note, info, size, difference in rows:
        opset = info["opset"].get("ai.onnx")
        others = ", ".join(f"{d} {v}" for d, v in info["opset"].items() if d != "ai.onnx")
        notes = [note] if note else []
        if opset != fixture.opset:
            notes.append("version conversion failed, the exporter kept opset 18 (below)")
        if others:
            notes.append(f"also imports {others}")
        if difference > TOLERANCE:
            notes.append("computes something else than the module: see *What the exporters emit*")
        shown = f"{difference:.1e}" + (" **differs**" if difference > TOLERANCE else "")
        lines.append(f"| `{file}` | `{fixture.name}`: {fixture.module} | {exporter} | {fixture.opset} | {opset} | "
                     f"{', '.join(info['ops'])} | {info['nodes']} | {size:,} | {shown} | {'; '.join(notes)} |")
    lines += ["", "## Dynamo exports that failed", ""]
    if failures:
        lines += ["| would-be file | opset asked | reason (the exception, one line) |", "|---|---|---|"]
        for file, opset, reason in failures:
            escaped = reason.replace("|", "\\|")
            lines.append(f"| `{file}` | {opset} | {escaped} |")
    else:
        lines.append("None raised an exception: every module has its `-dynamo.onnx`. The dynamo exporter builds opset 18")
        lines.append("and then converts down to the opset asked; where that conversion failed it logged the reason and")
        lines.append("silently kept opset 18:")
        lines.append("")
        lines += ["| file | opset asked | why the conversion failed (the logged exception) |", "|---|---|---|"]
        for file, fixture, exporter, note, info, size, difference in rows:
            if info["conversion"]:
                escaped = info["conversion"].replace("|", "\\|")
                lines.append(f"| `{file}` | {fixture.opset} | {escaped} |")
    lines += ["", OBSERVATIONS]
    lines += [
        "",
        "## Notable nodes, per file",
        "",
        "Each distinct node of the kinds an importer has to read closely, with its attributes; inputs are",
        "shown as their constant values when they are initializers or `Constant` outputs (`<float32[16, 3, 3, 3]>`",
        "for larger ones), `x` for computed values, `∅` for an omitted optional input.",
        "",
    ]
    for file, fixture, exporter, note, info, size, difference in rows:
        lines.append(f"### `{file}`")
        lines.append("")
        lines.append(f"{exporter}; producer {info['producer']}; IR {info['ir']}; opsets "
                     + ", ".join(f"{d} {v}" for d, v in info["opset"].items())
                     + f"; {info['nodes']} nodes, {info['initializers']} initializers"
                     + (f", {info['functions']} functions" if info["functions"] else "")
                     + "; inputs " + ", ".join(f"`{n}` {s}" for n, s in info["inputs"])
                     + "; outputs " + ", ".join(f"`{n}` {s}" for n, s in info["outputs"]) + ".")
        lines.append("")
        for text in info["notable"]:
            lines.append(f"- `{text}`")
        lines.append("")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f != "README.md")
    lines.append(f"Total size of the ONNX and .npy files: {total:,} bytes.")
    lines.append("")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
