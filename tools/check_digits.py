#!/usr/bin/env python3
"""The trained digits model on its whole held-out test split, three ways.

    tools/.venv/bin/python tools/check_digits.py [--binary PATH] [--cnnc PATH]

1. `cnnc export models/digits.yaml` and ONNX Runtime on the exported model;
2. `cnnc run models/digits.yaml` (the reference interpreter);
3. the inferencer `cnnc build models/digits.yaml` made (`--binary`; the Swift test builds it).

Every image must get the same prediction from all of them, the probabilities must agree within the
ONNX Runtime row of docs/testing.md (1e-4 relative + 1e-5 absolute), and the accuracy against the
labels must be at least the figure recorded when training (Tests/Fixtures/digits/training.json).
Prints one line of accuracies; exits 1 with the reasons otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "models/digits.yaml"
FIXTURES = ROOT / "Tests/Fixtures/digits"


def default_cnnc() -> str:
    if os.environ.get("CNNC"):
        return os.environ["CNNC"]
    built = ROOT / ".build/debug/cnnc"
    return str(built) if built.exists() else (shutil.which("cnnc") or "cnnc")


def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"check_digits: {' '.join(command)} failed (exit {result.returncode}):\n{result.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cnnc", default=default_cnnc(), help="the cnnc executable (default: $CNNC, .build/debug/cnnc)")
    parser.add_argument("--binary", help="an inferencer built from models/digits.yaml")
    args = parser.parse_args()

    images_path = FIXTURES / "test-images.npy"
    images = np.load(images_path)
    labels = np.load(FIXTURES / "test-labels.npy")
    recorded = json.loads((FIXTURES / "training.json").read_text())
    if images.ndim != 4 or len(images) != len(labels) or len(images) != recorded["test_images"]:
        sys.exit(f"check_digits: {images.shape} images, {labels.shape} labels, {recorded['test_images']} recorded")

    outputs: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as scratch:
        model = Path(scratch) / "digits.onnx"
        run([args.cnnc, "export", str(SPEC), "-o", str(model)])
        session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        outputs["ONNX Runtime"] = session.run(None, {session.get_inputs()[0].name: images.astype(np.float32)})[0]
        interpreted = Path(scratch) / "run.npy"
        run([args.cnnc, "run", str(SPEC), "--input", str(images_path), "--output", str(interpreted)])
        outputs["cnnc run"] = np.load(interpreted)
        if args.binary:
            built = Path(scratch) / "binary.npy"
            run([args.binary, "--input", str(images_path), "--output", str(built)])
            outputs["built binary"] = np.load(built)

    problems = []
    reference = outputs["ONNX Runtime"]
    predictions = {name: output.argmax(axis=1) for name, output in outputs.items()}
    for name, output in outputs.items():
        if output.shape != reference.shape:
            problems.append(f"{name}: output shape {output.shape}, ONNX Runtime {reference.shape}")
            continue
        differing = np.flatnonzero(predictions[name] != predictions["ONNX Runtime"])
        if differing.size:
            problems.append(f"{name}: {differing.size} predictions differ from ONNX Runtime's (images {differing[:10].tolist()})")
        excess = np.abs(output - reference) / (1e-5 + 1e-4 * np.abs(reference))
        if not np.all(excess <= 1):
            problems.append(f"{name}: probabilities differ from ONNX Runtime's by up to {excess.max():.2f}× the tolerance")

    correct = {name: int((p == labels).sum()) for name, p in predictions.items()}
    minimum = recorded["test_correct"]
    for name, count in correct.items():
        if count < minimum:
            problems.append(f"{name}: {count}/{len(labels)} correct, below the {minimum} recorded when training")
    print("digits test split: " + ", ".join(
        f"{name} {count}/{len(labels)} ({100 * count / len(labels):.2f} %)" for name, count in correct.items())
        + f"; recorded when training {minimum}/{len(labels)} ({recorded['test_accuracy_percent']:.2f} %)")
    for problem in problems:
        print("check_digits: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
