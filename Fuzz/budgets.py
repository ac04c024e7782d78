#!/usr/bin/env python3
"""Checks the hardening budgets: every hostile input of the hardening issue (hostile_inputs.py, at
full size) and every regression input the fuzzers found (Corpus/*/regression-*) goes through a
release `cnnc` in under 2 s of CPU time and 1 GB of peak memory (the child's own getrusage, through
wait4). Prints a Markdown table for docs/fuzzing.md; exits 1 if any run is over budget, crashes
(killed by a signal) or exits with a status other than 0, 1 or 2.

    swift build -c release --product cnnc
    python3 Fuzz/budgets.py [.build/release/cnnc]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import hostile_inputs

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CPU_SECONDS = 2.0
PEAK_BYTES = 1 << 30


def measure(arguments: list[str], cwd: Path) -> tuple[int, float, int, str]:
    """Exit status (negative: the signal), CPU seconds, peak resident bytes, last stderr line."""
    process = subprocess.Popen(arguments, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, last[0]


def cases(scratch: Path) -> list[tuple[str, list[str]]]:
    """(what, cnnc arguments) for each input, files written into `scratch`."""
    found: list[tuple[str, list[str]]] = []

    def write(name: str, data: bytes) -> str:
        path = scratch / name
        path.write_bytes(data)
        return str(path)

    for name, data in hostile_inputs.spec_bytes(full=True).items():
        path = write(name, data)
        found.append((name, ["check", path]))
        found.append((name, ["summary", path, "--format", "json"]))
    found.append(("large-dense.yaml", ["init-weights", str(scratch / "large-dense.yaml"), "-o", str(scratch / "large.safetensors")]))
    found.append(("replicated-filter.yaml", ["init-weights", str(scratch / "replicated-filter.yaml"), "-o", str(scratch / "r.safetensors")]))
    digits = str(ROOT / "models/digits.yaml")
    for name, data in hostile_inputs.safetensors(full=True).items():
        found.append((name, ["run", digits, "--weights", write(name, data), "--input", str(ROOT / "models/digits-7.pgm")]))
    for name, data in (hostile_inputs.npy(full=True) | hostile_inputs.netpbm(full=True)).items():
        found.append((name, ["run", str(ROOT / "models/blur.yaml"), "--input", write(name, data), "--output", str(scratch / "out.npy")]))
    found.append(("/dev/zero as input", ["run", str(ROOT / "models/blur.yaml"), "--input", "/dev/zero", "--output", str(scratch / "out.npy")]))
    for path in sorted(FUZZ.glob("Corpus/*/regression-*")):
        target = path.parent.name
        if target in ("FuzzSpec", "FuzzPipeline"):
            found.append((f"{target}/{path.name}", ["check", str(path)]))
        elif target == "FuzzONNX":
            found.append((f"{target}/{path.name}", ["import", str(path), "-o", str(scratch / "imported.yaml")]))
        elif target == "FuzzSafeTensors":
            found.append((f"{target}/{path.name}", ["run", digits, "--weights", str(path), "--input", str(ROOT / "models/digits-7.pgm")]))
        else:
            found.append((f"{target}/{path.name}", ["run", str(ROOT / "models/blur.yaml"), "--input", str(path), "--output", str(scratch / "out.npy")]))
    return found


def main() -> int:
    cnnc = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".build/release/cnnc").resolve()
    if not cnnc.exists():
        print(f"{cnnc}: no such binary; build it with 'swift build -c release --product cnnc'", file=sys.stderr)
        return 2
    failures = 0
    print("| input | command | exit | CPU s | peak MB | result |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="cnnc-budgets-") as directory:
        scratch = Path(directory)
        for what, arguments in cases(scratch):
            status, cpu, peak, last = measure([str(cnnc)] + arguments, scratch)
            ok = status in (0, 1, 2) and cpu < CPU_SECONDS and peak < PEAK_BYTES
            failures += not ok
            shown = " ".join(Path(a).name if "/" in a else a for a in arguments)
            print(f"| {what} | `cnnc {shown}` | {status} | {cpu:.2f} | {peak / 1e6:.0f} | {'ok' if ok else 'OVER BUDGET: ' + last} |")
            for name in ("large.safetensors", "r.safetensors", "imported.yaml", "out.npy"):
                (scratch / name).unlink(missing_ok=True)
    print(f"\n{failures} over budget" if failures else "\nevery run within 2 s of CPU and 1 GB", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
