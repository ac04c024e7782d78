#!/usr/bin/env python3
"""Checks the PyTorch fixtures against cnnc: the same networks written as cnnc specs must compute
what PyTorch and ONNX Runtime computed.

    swift build --product cnnc
    tools/.venv-torch/bin/python tools/check_torch_fixtures.py [--cnnc .build/debug/cnnc]

Run by hand after tools/train_digits.py, tools/make_onnx_fixtures.py and
tools/make_state_dict_fixtures.py (same scratch environment, see their docstrings; CI has no
PyTorch and does not run this). It writes nothing into the repository: every spec and weights file
it needs beyond the committed ones goes to a temporary directory.

For each fixture it runs `cnnc run SPEC --weights W --input NAME.input.npy` and compares cnnc's output
with NAME.output.npy (ONNX Runtime's): every value within docs/testing.md's tolerance for comparisons
with ONNX Runtime or PyTorch, |cnnc − reference| ≤ 1e-5 + 1e-4 · |reference| (and the argmax must
agree for classifiers). The specs are the committed ones where they exist (models/digits.yaml,
models/unet_small.yaml, Tests/Fixtures/state_dicts/{sequential,resnet20}.yaml) and, for the
single-pattern modules, the short specs below (and for torchvision's MobileNetV2 one written by
walking the module, mobilenetv2_spec): the spec a user (or `cnnc import`) would write for
each PyTorch module. Their weights are the modules' state dicts, rebuilt with the fixture seeds
(tools/make_onnx_fixtures.py's FIXTURES). A fixture whose ONNX file computes something else than
the PyTorch module (the README marks it **differs**) is compared with PyTorch instead and reported.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_fixture_models as M  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONNX = os.path.join(ROOT, "Tests/Fixtures/onnx/pytorch")
STATE = os.path.join(ROOT, "Tests/Fixtures/state_dicts")
# docs/testing.md's tolerance table, the row of comparisons with ONNX Runtime or PyTorch.
RTOL, ATOL = 1e-4, 1e-5

# name: (spec text, module builder, seed). Specs use only today's language; layer names are the
# state-dict prefixes.
PATTERNS = {
    "circular_pad": ("""
name: circular_pad
input: {channels: 3, height: 16, width: 16}
layers:
  - conv: {name: conv, channels: 8, kernel: 3, padding: 1, padding_mode: circular}
""", M.CircularPad, 5),
    "reflect_pad": ("""
name: reflect_pad
input: {channels: 3, height: 16, width: 16}
layers:
  - conv: {name: conv, channels: 8, kernel: 3, padding: 1, padding_mode: reflect}
""", M.ReflectPad, 6),
    "ceil_pool": ("""
name: ceil_pool
input: {channels: 3, height: 16, width: 16}
layers:
  - maxpool: {name: maxpool, kernel: 3, stride: 2, ceil_mode: true}
  - avgpool: {name: avgpool, kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false}
""", M.CeilPool, 7),
    "flatten_view": ("""
name: flatten_view
input: {channels: 3, height: 8, width: 8}
layers:
  - conv: {name: conv, channels: 4, kernel: 3, padding: 1, activation: relu}
  - flatten
  - dense: {name: fc, units: 10}
""", M.FlattenView, 8),
    "hardtanh_relu6": ("""
name: hardtanh_relu6
input: {channels: 3, height: 8, width: 8}
layers:
  - conv: {name: conv1, channels: 8, kernel: 3, padding: 1}
  - relu6: {name: relu6}
  - conv: {name: conv2, channels: 8, kernel: 3, padding: 1}
  - relu6: {name: hardtanh}
""", M.HardtanhRelu6, 9),
    "silu_gelu": ("""
name: silu_gelu
input: {channels: 3, height: 8, width: 8}
layers:
  - conv: {name: conv1, channels: 8, kernel: 3, padding: 1}
  - silu: {name: silu}
  - conv: {name: conv2, channels: 8, kernel: 3, padding: 1}
  - gelu: {name: gelu}
""", M.SiluGelu, 10),
    "softmax_opset11": ("""
name: softmax_opset11
input: {channels: 32, height: 1, width: 1}
layers:
  - dense: {name: fc, units: 10}
  - softmax
""", M.SoftmaxFlat, 11),
    "softmax_opset11_spatial": ("""
name: softmax_opset11_spatial
input: {channels: 3, height: 4, width: 4}
layers:
  - conv: {name: conv, channels: 5, kernel: 3, padding: 1}
  - softmax
""", M.SoftmaxSpatial, 12),
    "se_block": ("""
name: se_block
input: {channels: 3, height: 8, width: 8}
layers:
  - conv: {name: conv, channels: 16, kernel: 3, padding: 1, activation: relu}
  - global_avgpool: {name: pool}
  - conv: {name: reduce, channels: 4, kernel: 1, activation: relu}
  - conv: {name: expand, channels: 16, kernel: 1, activation: sigmoid}
  - mul: {name: scale, from: [relu1, sigmoid1]}
""", M.SEBlock, 13),
    "linear_no_bias": ("""
name: linear_no_bias
input: {channels: 4, height: 4, width: 4}
layers:
  - flatten
  - dense: {name: fc, units: 10, bias: false}
""", M.LinearNoBias, 14),
}


def mobilenetv2_spec(model):
    """The spec for torchvision's MobileNetV2, walked from the module itself: every layer named with its
    module path (features.3.conv.1.0, …), an add after each InvertedResidual with use_res_connect."""
    from torchvision.models.mobilenetv2 import InvertedResidual
    lines = ["name: mobilenetv2", "input: {channels: 3, height: 96, width: 96}", "layers:"]
    last = ["input"]

    def emit(text, name):
        lines.append(f"  - {text}")
        last[0] = name

    def walk(module, prefix):
        for child_name, child in module.named_children():
            path = f"{prefix}.{child_name}" if prefix else child_name
            if isinstance(child, InvertedResidual):
                block_input = last[0]
                walk(child, path)
                if child.use_res_connect:
                    emit(f"add: {{name: {path}.add, from: [{last[0]}, {block_input}]}}", f"{path}.add")
            elif isinstance(child, torch.nn.Conv2d):
                kh, kw = child.kernel_size
                ph, pw = child.padding
                emit(f"conv: {{name: {path}, channels: {child.out_channels}, kernel: [{kh}, {kw}], "
                     f"stride: {list(child.stride)}, padding: [{ph}, {pw}], groups: {child.groups}, "
                     f"bias: {'true' if child.bias is not None else 'false'}}}", path)
            elif isinstance(child, torch.nn.BatchNorm2d):
                emit(f"batchnorm: {{name: {path}, eps: {child.eps}}}", path)
            elif isinstance(child, torch.nn.ReLU6):
                emit(f"relu6: {{name: {path}}}", path)
            elif isinstance(child, torch.nn.Dropout):
                emit(f"dropout: {{name: {path}, rate: {child.p}}}", path)
            elif isinstance(child, torch.nn.Linear):
                emit(f"dense: {{name: {path}, units: {child.out_features}}}", path)
            elif isinstance(child, torch.nn.Sequential) or type(child).__name__ == "Conv2dNormActivation":
                walk(child, path)
            else:
                raise ValueError(f"{path}: {type(child).__name__} is not handled")
            if path == "features":  # MobileNetV2.forward: adaptive_avg_pool2d(x, 1) and flatten
                emit("global_avgpool: {name: avgpool}", "avgpool")
                emit("flatten", "flatten1")

    walk(model, "")
    return "\n".join(lines) + "\n"


def run(cnnc, spec, weights, x, scratch):
    """cnnc's output for x, an [N, ...] array reshaped to the spec's C×H×W by cnnc's .npy reader."""
    src = os.path.join(scratch, "x.npy")
    out = os.path.join(scratch, "y.npy")
    np.save(src, x.astype(np.float32))
    command = [cnnc, "run", spec, "--input", src, "--output", out]
    if weights:
        command[3:3] = ["--weights", weights]
    # stderr holds the expected warnings about num_batches_tracked; shown only if cnnc fails.
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    return np.load(out)


def state_file(module, scratch, name):
    path = os.path.join(scratch, name + ".safetensors")
    state = {k: v.contiguous() for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_file(state, path)
    return path


def worst_ratio(ours, reference):
    """The largest |ours − reference| / (ATOL + RTOL·|reference|): at most 1 passes."""
    return float((np.abs(ours - reference) / (ATOL + RTOL * np.abs(reference))).max())


def compare(label, ours, reference, failures):
    reference = reference.reshape(ours.shape)
    difference = float(np.abs(ours - reference).max())
    ratio = worst_ratio(ours, reference)
    agree = ""
    if ours.ndim == 2:
        same = int((ours.argmax(1) == reference.argmax(1)).sum())
        agree = f", argmax agrees on {same}/{len(ours)}"
        if same != len(ours):
            failures.append(label)
    ok = ratio <= 1
    if not ok:
        failures.append(label)
    print(f"{'ok  ' if ok else 'FAIL'} {label}: max |cnnc − reference| = {difference:.2g}, "
          f"{ratio:.2f} of the tolerance{agree}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnnc", default=os.path.join(ROOT, ".build/debug/cnnc"))
    args = parser.parse_args()
    failures = []
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as scratch:
        # digits: all 450 held-out images against PyTorch, and the two ONNX files.
        images = np.load(os.path.join(ROOT, "Tests/Fixtures/digits/test-images.npy"))
        probabilities = np.load(os.path.join(ROOT, "Tests/Fixtures/digits/test-probabilities.npy"))
        labels = np.load(os.path.join(ROOT, "Tests/Fixtures/digits/test-labels.npy"))
        ours = run(args.cnnc, os.path.join(ROOT, "models/digits.yaml"), None, images, scratch)
        compare("digits: 450 test images vs PyTorch", ours, probabilities, failures)
        print(f"     digits accuracy: cnnc {(ours.argmax(1) == labels).mean() * 100:.2f} %, "
              f"PyTorch {(probabilities.argmax(1) == labels).mean() * 100:.2f} %")

        def against_onnx(stems, spec, weights):
            for stem in stems:
                x = np.load(os.path.join(ONNX, stem + ".input.npy"))
                reference = np.load(os.path.join(ONNX, stem + ".output.npy"))
                compare(f"{stem}.onnx", run(args.cnnc, spec, weights, x, scratch), reference, failures)

        against_onnx(["digits", "digits-dynamo"], os.path.join(ROOT, "models/digits.yaml"), None)
        against_onnx([f"mnist_sequential-opset{o}{d}" for o in (11, 13, 17) for d in ("", "-dynamo")],
                     os.path.join(STATE, "sequential.yaml"), os.path.join(STATE, "sequential.safetensors"))
        against_onnx(["resnet20", "resnet20-dynamo", "resnet20-folded", "resnet20-folded-dynamo"],
                     os.path.join(STATE, "resnet20.yaml"), os.path.join(STATE, "resnet20.safetensors"))
        import torchvision
        mobilenet = M.seeded(lambda: torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10), 3)
        spec = os.path.join(scratch, "mobilenetv2.yaml")
        with open(spec, "w") as f:
            f.write(mobilenetv2_spec(mobilenet))
        against_onnx(["mobilenetv2", "mobilenetv2-dynamo"], spec, state_file(mobilenet, scratch, "mobilenetv2"))
        unet = state_file(M.seeded(M.UNetSmall, 4), scratch, "unet")
        against_onnx(["unet_small", "unet_small-dynamo"], os.path.join(ROOT, "models/unet_small.yaml"), unet)

        for name, (text, builder, seed) in PATTERNS.items():
            spec = os.path.join(scratch, name + ".yaml")
            with open(spec, "w") as f:
                f.write(text.lstrip())
            module = M.seeded(builder, seed)
            weights = state_file(module, scratch, name)
            stems = [name, name + "-dynamo"] + (["flatten_view-nofold"] if name == "flatten_view" else [])
            for stem in stems:
                x = np.load(os.path.join(ONNX, stem + ".input.npy"))
                reference = np.load(os.path.join(ONNX, stem + ".output.npy"))
                with torch.no_grad():
                    expected = module(torch.from_numpy(x)).numpy()
                cnnc_x = x.reshape(x.shape + (1, 1)) if x.ndim == 2 else x
                ours = run(args.cnnc, spec, weights, cnnc_x, scratch)
                if worst_ratio(reference.reshape(expected.shape), expected) > 1:
                    print(f"     {stem}.onnx computes something else than PyTorch "
                          f"(max difference {np.abs(reference - expected).max():.2g}); comparing cnnc with PyTorch:")
                    compare(f"{stem} (PyTorch's output)", ours, expected, failures)
                else:
                    compare(f"{stem}.onnx", ours, reference, failures)
    print(f"{len(failures)} failed" + (": " + ", ".join(failures) if failures else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
