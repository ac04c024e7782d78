#!/usr/bin/env python3
"""Writes Tests/Fixtures/state_dicts/: PyTorch state dicts as users have them, for weight binding and import.

    tools/.venv-torch/bin/python tools/make_state_dict_fixtures.py      # from the repository root

Needs the scratch virtual environment of tools/train_digits.py (tools/.venv-torch; CI has no
PyTorch and nothing in the build or the tests runs this script — only its outputs are committed).
Versions used for the committed outputs: Python 3.11.7, torch 2.15.0 (PyPI wheel 2.15.0+cu132, CPU),
safetensors 0.8.0, numpy 2.4.6.

For three real PyTorch modules (tools/torch_fixture_models.py), built after torch.manual_seed with
every BatchNorm given random statistics and num_batches_tracked = 1000:

  sequential   mnist_sequential(): nn.Sequential keys 0.weight, 4.running_mean, 4.num_batches_tracked, 11.bias
               (seed 1: the same tensors as Tests/Fixtures/onnx/pytorch/mnist_sequential-*.onnx)
  named        NamedNet: features.0.weight, features.1.num_batches_tracked, classifier.weight
  resnet20     ResNet20: conv1.weight, bn1.*, layer1.0.conv1.weight, layer2.0.downsample.0.weight, fc.weight
               (seed 2: the same tensors as Tests/Fixtures/onnx/pytorch/resnet20.onnx)

it writes NAME.json (every key in state-dict order with its shape and safetensors dtype:
`[{"name": "0.weight", "shape": [16, 1, 3, 3], "dtype": "F32"}, …]`, num_batches_tracked included,
I64 with shape []), NAME.safetensors (`safetensors.torch.save_file(model.state_dict())`: the same
tensors, num_batches_tracked kept as int64, metadata {"format": "pt"} as Hugging Face files have), and
NAME.yaml, the cnnc spec that reads it: `weights_names: sequential` for the Sequential,
`weights_prefix` and `tensor:` for the named module, layer names for the others.
`cnnc check NAME.yaml --weights NAME.safetensors` prints ok without warnings (num_batches_tracked
is ignored).

Checkpoints that are not safetensors, of the Tiny module (seed 30; conv.*, bn.*, fc.*):

  checkpoint.pt   torch.save(model.state_dict(), path): the zip format (default since PyTorch 1.6)
  legacy.pth      torch.save(model.state_dict(), path, _use_new_zipfile_serialization=False): the
                  legacy pickle format
  tiny.json, tiny.safetensors, tiny.yaml   the same state dict as the other fixtures have it

Running it twice gives the same bytes (checked when the fixtures were made; torch.save's zip
records carry no timestamps), except legacy.pth: the legacy format names each storage by its memory
address, e.g. '94312490084688', different in every run, so an existing legacy.pth that already holds
the same tensors is kept as it is.
"""
import json
import os
import platform
import sys
import zipfile

import torch
import safetensors
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_fixture_models as M  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/Fixtures/state_dicts")

DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.float64: "F64"}

SEQUENTIAL_YAML = """\
# The spec for an nn.Sequential state dict (tools/torch_fixture_models.py, mnist_sequential):
# `weights_names: sequential` names each layer's tensors by its position in the Sequential (activation
# sugar takes the next position, as nn.ReLU does), so `0.weight`, `4.running_mean` and `11.bias` bind as
# they are. `cnnc check sequential.yaml --weights sequential.safetensors` prints ok, without warnings
# (4.num_batches_tracked is ignored). Written by tools/make_state_dict_fixtures.py.
name: sequential
input: {channels: 1, height: 28, width: 28}
weights_names: sequential
layers:
  - conv: {channels: 16, kernel: 3, padding: 1, activation: relu}   # 0, its relu 1
  - maxpool: {kernel: 2}                                            # 2
  - conv: {channels: 32, kernel: 3, padding: 1}                     # 3
  - batchnorm                                                       # 4
  - relu                                                            # 5
  - maxpool: {kernel: 2}                                            # 6
  - flatten                                                         # 7
  - dense: {units: 64, activation: relu}                            # 8, its relu 9
  - dropout: {rate: 0.5}                                            # 10
  - dense: {units: 10}                                              # 11
"""

NAMED_YAML = """\
# The spec for a module with named attributes (tools/torch_fixture_models.py, NamedNet:
# self.features = nn.Sequential(...), self.classifier = nn.Linear(...)): positions inside `features.`,
# and the classifier by its own name. `cnnc check named.yaml --weights named.safetensors` prints ok,
# without warnings. Written by tools/make_state_dict_fixtures.py.
name: named
input: {channels: 3, height: 16, width: 16}
weights_names: sequential
weights_prefix: features.
layers:
  - conv: {channels: 8, kernel: 3, padding: 1}                     # features.0
  - batchnorm                                                      # features.1
  - relu                                                           # features.2
  - maxpool: {kernel: 2}                                           # features.3
  - conv: {channels: 16, kernel: 3, padding: 1, activation: relu}  # features.4, its relu features.5
  - global_avgpool                                                 # features.6
  - flatten
  - dense: {units: 5, tensor: classifier}                          # classifier.weight, classifier.bias
"""

TINY_YAML = """\
# The spec for the tiny checkpoint module (tools/torch_fixture_models.py, Tiny): checkpoint.pt,
# legacy.pth and tiny.safetensors hold the same state dict. Check with:
# cnnc check tiny.yaml --weights tiny.safetensors (ok, without warnings: bn.num_batches_tracked is ignored).
# Written by tools/make_state_dict_fixtures.py.
name: tiny
input: {channels: 1, height: 8, width: 8}
layers:
  - conv: {name: conv, channels: 4, kernel: 3}
  - batchnorm: {name: bn}
  - relu
  - global_avgpool
  - flatten
  - dense: {name: fc, units: 3}
"""


def resnet20_yaml():
    lines = [
        "# The spec for a CIFAR ResNet-20 state dict (tools/torch_fixture_models.py, ResNet20; the network of",
        "# models/resnet_cifar.yaml): basic blocks, option-B projection shortcuts (layerN.0.downsample.0 and .1).",
        "# Check with: cnnc check resnet20.yaml --weights resnet20.safetensors (ok, without warnings: the",
        "# 21 num_batches_tracked are ignored). Written by tools/make_state_dict_fixtures.py.",
        "name: resnet20",
        "input: {channels: 3, height: 32, width: 32}",
        "layers:",
        "  - conv: {name: conv1, channels: 16, kernel: 3, padding: 1, bias: false}",
        "  - batchnorm: {name: bn1}",
        "  - relu: {name: relu}",
    ]
    previous = "relu"
    for stage, channels in ((1, 16), (2, 32), (3, 64)):
        for block in range(3):
            p = f"layer{stage}.{block}"
            stride = 2 if stage > 1 and block == 0 else 1
            strided = f", stride: {stride}" if stride != 1 else ""
            lines += [
                f"  # {p}" + (": stride 2, projection shortcut" if stride != 1 else ""),
                f"  - conv: {{name: {p}.conv1, channels: {channels}, kernel: 3{strided}, padding: 1, bias: false}}",
                f"  - batchnorm: {{name: {p}.bn1}}",
                f"  - relu: {{name: {p}.relu1}}",
                f"  - conv: {{name: {p}.conv2, channels: {channels}, kernel: 3, padding: 1, bias: false}}",
                f"  - batchnorm: {{name: {p}.bn2}}",
            ]
            shortcut = previous
            if stride != 1:
                lines += [
                    f"  - conv: {{name: {p}.downsample.0, channels: {channels}, kernel: 1, stride: 2, bias: false, from: {previous}}}",
                    f"  - batchnorm: {{name: {p}.downsample.1}}",
                ]
                shortcut = f"{p}.downsample.1"
            lines.append(f"  - add: {{name: {p}.add, from: [{p}.bn2, {shortcut}], activation: relu}}")
            previous = f"{p}.add"
    lines += [
        "  - global_avgpool: {name: avgpool}",
        "  - flatten",
        "  - dense: {name: fc, units: 10}",
        "",
    ]
    return "\n".join(lines)


def key_list(state):
    return [{"name": name, "shape": list(tensor.shape), "dtype": DTYPES[tensor.dtype]} for name, tensor in state.items()]


def write_json(path, entries):
    # One entry per line: readable, and diffs stay small.
    with open(path, "w") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(e) for e in entries) + "\n]\n")


def write_state_dict(stem, model, spec):
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    write_json(os.path.join(OUT, stem + ".json"), key_list(state))
    save_file(state, os.path.join(OUT, stem + ".safetensors"), metadata={"format": "pt"})
    with open(os.path.join(OUT, stem + ".yaml"), "w") as f:
        f.write(spec)
    print(f"{stem}: {len(state)} tensors, {sum(v.numel() for v in state.values()):,} values")
    return state


def same_state(path, state):
    try:
        loaded = torch.load(path, weights_only=True)
    except (OSError, RuntimeError):
        return False
    return list(loaded) == list(state) and all(
        loaded[k].dtype == state[k].dtype and torch.equal(loaded[k], state[k]) for k in state)


def save_legacy(state, path):
    """The legacy format names each storage by its memory address (torch/serialization.py,
    _legacy_save: storage_key = str(storage._cdata)), so its bytes change from run to run. An existing
    file that already holds the same tensors is kept, so a rerun leaves the repository unchanged."""
    scratch = path + ".new"
    torch.save(state, scratch, _use_new_zipfile_serialization=False)
    if same_state(path, state):
        os.remove(scratch)
        print(f"{os.path.basename(path)}: kept, it already holds these tensors")
    else:
        os.replace(scratch, path)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    write_state_dict("sequential", M.seeded(M.mnist_sequential, 1), SEQUENTIAL_YAML)
    write_state_dict("named", M.seeded(M.NamedNet, 20), NAMED_YAML)
    write_state_dict("resnet20", M.seeded(M.ResNet20, 2), resnet20_yaml())

    tiny = M.seeded(M.Tiny, 30)
    state = write_state_dict("tiny", tiny, TINY_YAML)
    torch.save(tiny.state_dict(), os.path.join(OUT, "checkpoint.pt"))
    save_legacy(tiny.state_dict(), os.path.join(OUT, "legacy.pth"))
    for name in ("checkpoint.pt", "legacy.pth"):
        loaded = torch.load(os.path.join(OUT, name), weights_only=True)
        assert list(loaded) == list(state) and all(torch.equal(loaded[k], state[k]) for k in state), name
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name)):,} bytes, loads back equal")
    write_readme()


DESCRIPTIONS = {
    "sequential": "nn.Sequential (mnist_sequential, seed 1): keys `0.*`, `3.*`, `4.*` (BatchNorm), `8.*`, `11.*`",
    "named": "NamedNet (seed 20): `features.N.*` and `classifier.*`",
    "resnet20": "ResNet20 (seed 2): `conv1`, `bn1`, `layerS.B.{conv1,bn1,conv2,bn2}`, `layerS.0.downsample.{0,1}`, `fc`",
    "tiny": "Tiny (seed 30): `conv`, `bn`, `fc`; the state dict of checkpoint.pt and legacy.pth",
}


def write_readme():
    lines = [
        "# PyTorch state dicts and checkpoints",
        "",
        "Written by `tools/make_state_dict_fixtures.py` (do not edit by hand; see its docstring): state dicts of real",
        "PyTorch modules (`tools/torch_fixture_models.py`) with seeded random values, as users have them.",
        "",
        "    tools/.venv-torch/bin/python tools/make_state_dict_fixtures.py",
        "",
        f"Versions: Python {platform.python_version()}, torch {torch.__version__}, safetensors {safetensors.__version__}.",
        "",
        "- `NAME.json`: every state-dict key in state-dict order, `{\"name\", \"shape\", \"dtype\"}` (safetensors dtype",
        "  names); `num_batches_tracked` is there as PyTorch has it, `I64` with shape `[]`.",
        "- `NAME.safetensors`: `safetensors.torch.save_file(state_dict, metadata={\"format\": \"pt\"})`, the same tensors",
        "  (`num_batches_tracked` kept as int64). The file orders tensors by dtype alignment and name, not state-dict order.",
        "- `NAME.yaml`: the cnnc spec that reads it (`weights_names: sequential`; `weights_prefix` and `tensor:`;",
        "  layer names). `cnnc check NAME.yaml --weights NAME.safetensors` prints `ok` without warnings",
        "  (`num_batches_tracked` is ignored).",
        "",
        "| file | bytes | what |",
        "|---|---|---|",
    ]
    for stem, what in DESCRIPTIONS.items():
        for ext in ("json", "safetensors", "yaml"):
            name = f"{stem}.{ext}"
            lines.append(f"| `{name}` | {os.path.getsize(os.path.join(OUT, name)):,} | {what if ext == 'json' else ''} |")
    lines.append(f"| `checkpoint.pt` | {os.path.getsize(os.path.join(OUT, 'checkpoint.pt')):,} | "
                 "`torch.save(tiny.state_dict(), path)`: the zip format |")
    lines.append(f"| `legacy.pth` | {os.path.getsize(os.path.join(OUT, 'legacy.pth')):,} | "
                 "`torch.save(..., _use_new_zipfile_serialization=False)`: the legacy pickle format |")
    lines += ["", "## `checkpoint.pt` (zip)", "",
              "Entries (all stored, not compressed; timestamps 1980-01-01):", "",
              "| entry | bytes |", "|---|---|"]
    with zipfile.ZipFile(os.path.join(OUT, "checkpoint.pt")) as archive:
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            lines.append(f"| `{info.filename}` | {info.file_size} |")
    lines += [
        "",
        "`data.pkl` is a pickle (protocol 2) of an `OrderedDict` whose tensors are",
        "`torch._utils._rebuild_tensor_v2(persistent_id, offset, size, stride, requires_grad, hooks)` with",
        "persistent ids `('storage', torch.FloatStorage | torch.LongStorage, key, 'cpu', numel)`; storage `key` is",
        "the file `data/KEY`. The archive's top folder is the file's stem (`checkpoint/`). Each `data/KEY` record's",
        "bytes start at a file offset that is a multiple of `.storage_alignment` (64). After the items, a `BUILD`",
        "sets the OrderedDict's `_metadata` attribute (`{'': {'version': 1}, 'conv': {'version': 1}, …}`): a pickle",
        "reader must accept `BUILD` on an OrderedDict.",
        "",
        "## `legacy.pth` (pickle)",
        "",
        "Five consecutive pickles: the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a",
        "`sys_info` dict (`little_endian`, `type_sizes`: short 2, int 4, long 4), the state dict (same",
        "`_rebuild_tensor_v2` calls and `_metadata` `BUILD`, persistent ids `('storage', type, key, 'cpu', numel,",
        "None)`), and the list of storage keys **sorted as strings** (not in state-dict order); then, for each key",
        "in that sorted order, an int64 element count and the raw little-endian elements (4 bytes per float, 8 for",
        "`num_batches_tracked`'s LongStorage). The keys are the storages' memory addresses as decimal strings (e.g. `'94312490084688'`), not",
        "`0`, `1`, …, so they differ in every run; the script keeps an existing `legacy.pth` that already",
        "holds the same tensors.",
        "",
    ]
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
