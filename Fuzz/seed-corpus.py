#!/usr/bin/env python3
"""Writes Fuzz/Corpus/TARGET/ afresh: the repository's own files of each format (bundled models,
the invalid-spec corpus, the ONNX, safetensors, npy and PGM fixtures, each at most 64 KiB so the
fuzzer's inputs stay short) and the hostile inputs of the hardening issue (hostile_inputs.py).

    python3 Fuzz/seed-corpus.py

Inputs a fuzzer found (regressions) live in Fuzz/Corpus/TARGET/regression-* and are kept."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import hostile_inputs

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
LIMIT = 64 * 1024


def files(*patterns: str) -> dict[str, bytes]:
    found = {}
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file() and path.stat().st_size <= LIMIT:
                found[str(path.relative_to(ROOT)).replace("/", "_")] = path.read_bytes()
    return found


def main() -> None:
    corpora = {
        "FuzzSpec": files("models/*.yaml", "Tests/Fixtures/invalid/*.yaml", "Tests/Fixtures/codegen/*.yaml",
                          "Tests/Fixtures/receptive/*.yaml") | hostile_inputs.spec_bytes(full=False),
        "FuzzSafeTensors": files("models/*.safetensors", "Tests/Fixtures/state_dicts/*.safetensors") | hostile_inputs.safetensors(full=False),
        "FuzzNPY": files("Tests/Fixtures/onnx/patterns/*.npy") | hostile_inputs.npy(full=False),
        "FuzzNetPBM": files("models/*.pgm", "models/*.ppm", "Tests/Fixtures/**/*.pgm", "Tests/Fixtures/**/*.ppm") | hostile_inputs.netpbm(full=False),
        "FuzzONNX": files("Tests/Fixtures/onnx/patterns/*.onnx", "Tests/Fixtures/onnx/pytorch/*.onnx"),
        "FuzzPipeline": hostile_inputs.pipeline_seeds(32),
    }
    for target, contents in corpora.items():
        folder = FUZZ / "Corpus" / target
        kept = {p.name: p.read_bytes() for p in folder.glob("regression-*")} if folder.exists() else {}
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        seen = set()
        for name, data in (contents | kept).items():
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            (folder / name).write_bytes(data)
        print(f"{target}: {len(seen)} files, {sum(len(d) for d in contents.values()) // 1024} KiB")


if __name__ == "__main__":
    main()
