#!/usr/bin/env python3
"""Trains models/digits: a small CNN on scikit-learn's bundled 8×8 handwritten digits.

    tools/.venv-torch/bin/python tools/train_digits.py            # from the repository root
    tools/.venv-torch/bin/python tools/train_digits.py --cnnc .build/debug/cnnc   # and compare with cnnc

Needs a virtual environment with PyTorch (tools/.venv-torch, ignored by git) (CI has no PyTorch; nothing in the
build or the tests runs this script, only its outputs are committed):

    python3 -m venv tools/.venv-torch
    tools/.venv-torch/bin/pip install torch torchvision onnx==1.23.2 onnxruntime==1.32.0 \
        numpy==2.4.6 scikit-learn safetensors onnxscript

Versions used for the committed outputs: Python 3.11.7, torch 2.15.0 (the PyPI wheel,
2.15.0+cu132, run on the CPU), numpy 2.4.6, scikit-learn 1.9.1, safetensors 0.8.0.

Data: `sklearn.datasets.load_digits()` (1,797 images of 8×8 pixels with values 0–16, shipped
inside scikit-learn: no download), divided by 16 so the inputs are in [0, 1], split 75/25 with
`train_test_split(test_size=0.25, stratify=labels, random_state=0)` (450 test images).
Training: Adam (lr 3e-3, weight decay 1e-4), cosine schedule over 40 epochs, batches of 32 in an
order drawn from a seeded generator, cross-entropy on the logits; torch.manual_seed(0), one
thread, deterministic algorithms, so the same versions give the same bytes.

The network is tools/torch_fixture_models.py's DigitsNet; its state-dict keys (conv1.weight,
bn1.running_mean, …, fc.bias) are the layer names of models/digits.yaml, so the weights bind as
they are.

Writes:
  models/digits.yaml                        the spec (written here, with the measured accuracy)
  models/digits.safetensors                 float32, the state dict without num_batches_tracked
  Tests/Fixtures/digits/test-images.npy     float32 [450, 1, 8, 8], already divided by 16
  Tests/Fixtures/digits/test-labels.npy     int64 [450]
  Tests/Fixtures/digits/test-probabilities.npy  float32 [450, 10], PyTorch's softmax output (eval)
  Tests/Fixtures/digits/training.json       accuracy, counts, seeds, hyper-parameters, versions
  models/digits-7.pgm                       the first 7 of the test split as a PGM with maxval 16

With --cnnc PATH it then runs `cnnc check` and `cnnc run` on the test images and prints cnnc's
accuracy, the number of images on which cnnc and PyTorch predict the same class, and the largest
difference between their probabilities (nothing of that is written to the repository).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import safetensors
import sklearn
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixture_models import DigitsNet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 0
SPLIT_SEED = 0
EPOCHS = 40
BATCH = 32
LR = 3e-3
WEIGHT_DECAY = 1e-4

SPEC = """\
# Handwritten digits: a small CNN that classifies the 8×8 images of scikit-learn's bundled digits
# data set (sklearn.datasets.load_digits, 1,797 images with pixel values 0–16) into 0–9. The input
# is the image divided by 16 (values in [0, 1]); a .npy input is taken as it is, so divide first
# (Tests/Fixtures/digits/test-images.npy already is); a PGM is scaled by its maxval, so an image
# written with maxval 16 is read exactly (models/digits-7.pgm is one of the test images).
# Trained in PyTorch by tools/train_digits.py on a stratified 75 % split ({train} images, {epochs} epochs of Adam, seed {seed}); on the held-out
# {test} images its test accuracy is {accuracy:.2f} % ({correct}/{test}). Layer names are the
# PyTorch module's state-dict prefixes, so digits.safetensors is its state dict as saved
# (without num_batches_tracked). Retrain with: tools/.venv-torch/bin/python tools/train_digits.py
name: digits
input: {{channels: 1, height: 8, width: 8}}
weights: digits.safetensors
layers:
  - conv: {{name: conv1, channels: 16, kernel: 3, padding: 1, bias: false}}
  - batchnorm: {{name: bn1}}
  - relu: {{name: relu1}}
  - conv: {{name: conv2, channels: 32, kernel: 3, padding: 1, bias: false}}
  - batchnorm: {{name: bn2}}
  - relu: {{name: relu2}}
  - maxpool: {{name: pool, kernel: 2}}
  - conv: {{name: conv3, channels: 32, kernel: 3, padding: 1}}
  - relu: {{name: relu3}}
  - global_avgpool: {{name: avgpool}}
  - flatten: {{name: flatten}}
  - dense: {{name: fc, units: 10}}
  - softmax: {{name: softmax}}
labels: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
"""


def load_split():
    digits = load_digits()
    images = (digits.images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    labels = digits.target.astype(np.int64)
    return train_test_split(images, labels, test_size=0.25, stratify=labels, random_state=SPLIT_SEED)


def train(x_train, y_train):
    torch.manual_seed(SEED)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS)
    order = torch.Generator().manual_seed(SEED)
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(EPOCHS):
        model.train()
        permutation = torch.randperm(len(x), generator=order)
        total = 0.0
        for start in range(0, len(x), BATCH):
            batch = permutation[start:start + BATCH]
            optimizer.zero_grad()
            loss = F.cross_entropy(model.logits(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        schedule.step()
        print(f"epoch {epoch + 1:2d}: training loss {total / len(x):.4f}")
    return model.eval()


def write_npy(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array))


def compare_with_cnnc(cnnc, probabilities, labels):
    spec = os.path.join(ROOT, "models/digits.yaml")
    images = os.path.join(ROOT, "Tests/Fixtures/digits/test-images.npy")
    subprocess.run([cnnc, "check", spec], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "p.npy")
        subprocess.run([cnnc, "run", spec, "--input", images, "--output", out], check=True,
                       stdout=subprocess.DEVNULL)
        ours = np.load(out)
    assert ours.shape == probabilities.shape, (ours.shape, probabilities.shape)
    cnnc_pred, torch_pred = ours.argmax(1), probabilities.argmax(1)
    agree = int((cnnc_pred == torch_pred).sum())
    print(f"cnnc accuracy {100 * (cnnc_pred == labels).mean():.2f} % "
          f"({int((cnnc_pred == labels).sum())}/{len(labels)}); "
          f"same class as PyTorch on {agree}/{len(labels)} images; "
          f"largest probability difference {np.abs(ours - probabilities).max():.3g}")
    for i in np.nonzero(cnnc_pred != torch_pred)[0]:
        print(f"  disagreement on image {i}: cnnc {cnnc_pred[i]}, PyTorch {torch_pred[i]}, label {labels[i]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnnc", help="a cnnc binary: compare its predictions with PyTorch's")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    x_train, x_test, y_train, y_test = load_split()
    model = train(x_train, y_train)
    with torch.no_grad():
        probabilities = model(torch.from_numpy(x_test)).numpy().astype(np.float32)
    predictions = probabilities.argmax(1)
    correct = int((predictions == y_test).sum())
    accuracy = 100.0 * correct / len(y_test)
    print(f"PyTorch test accuracy {accuracy:.2f} % ({correct}/{len(y_test)})")
    if accuracy < 95.0:
        sys.exit("test accuracy below 95 %: not writing anything")

    state = {name: tensor.detach().to(torch.float32).contiguous()
             for name, tensor in model.state_dict().items() if not name.endswith("num_batches_tracked")}
    save_file(state, os.path.join(ROOT, "models/digits.safetensors"),
              # One metadata key only: safetensors writes its metadata map in hash order.
              metadata={"source": f"tools/train_digits.py, test accuracy {accuracy:.2f} %"})
    with open(os.path.join(ROOT, "models/digits.yaml"), "w") as f:
        f.write(SPEC.format(train=len(y_train), test=len(y_test), epochs=EPOCHS, seed=SEED,
                            accuracy=accuracy, correct=correct))

    fixtures = os.path.join(ROOT, "Tests/Fixtures/digits")
    write_npy(os.path.join(fixtures, "test-images.npy"), x_test.astype(np.float32))
    write_npy(os.path.join(fixtures, "test-labels.npy"), y_test.astype(np.int64))
    write_npy(os.path.join(fixtures, "test-probabilities.npy"), probabilities)
    # One test image as a picture the README's walkthrough runs: maxval 16 keeps its values exact.
    seven = np.rint(x_test[int(np.flatnonzero(y_test == 7)[0]), 0] * 16).astype(np.uint8)
    with open(os.path.join(ROOT, "models/digits-7.pgm"), "wb") as f:
        f.write(b"P5\n8 8\n16\n" + seven.tobytes())
    per_class = {str(c): {"images": int((y_test == c).sum()), "correct": int(((y_test == c) & (predictions == c)).sum())}
                 for c in range(10)}
    record = {
        "model": "models/digits.yaml",
        "weights": "models/digits.safetensors",
        "data": "sklearn.datasets.load_digits(), pixels / 16",
        "split": {"function": "sklearn.model_selection.train_test_split", "test_size": 0.25,
                  "stratify": "labels", "random_state": SPLIT_SEED},
        "train_images": len(y_train),
        "test_images": len(y_test),
        "test_correct": correct,
        "test_accuracy_percent": round(accuracy, 4),
        "test_accuracy_per_class": per_class,
        "framework": "PyTorch, eval mode, float32, CPU",
        "training": {"epochs": EPOCHS, "batch_size": BATCH, "optimizer": "Adam", "learning_rate": LR,
                     "weight_decay": WEIGHT_DECAY, "schedule": "CosineAnnealingLR(T_max=epochs)",
                     "loss": "cross_entropy", "augmentation": "none"},
        "seeds": {"torch.manual_seed": SEED, "batch_order_generator": SEED, "split_random_state": SPLIT_SEED},
        "threads": 1,
        "deterministic_algorithms": True,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                     "safetensors": safetensors.__version__},
        "command": "tools/.venv-torch/bin/python tools/train_digits.py",
    }
    with open(os.path.join(fixtures, "training.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print("wrote models/digits.yaml, models/digits.safetensors, Tests/Fixtures/digits/*")

    if args.cnnc:
        compare_with_cnnc(args.cnnc, probabilities, y_test)


if __name__ == "__main__":
    main()
