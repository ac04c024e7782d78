#!/usr/bin/env python3
"""Measures the code generator's budgets (issue 4) and writes docs/build-budgets.md.

- `cnnc build models/imagenet_stem.yaml` from a cold cache: wall time;
- a ten-million-parameter spec (bench/large10m.yaml): generate + build wall time and peak memory of
  the whole process tree (cnnc, swift build, the compilers), sampled every 50 ms;
- lenet5: batch-1 latency of the generated inferencer against `cnnc run`, both per inference
  (`--bench` against the interpreter's time per sample) and per process (the same command lines).

Usage: bench/build-budgets.py [--cnnc PATH]   (default: .build/release/cnnc, built if missing)
"""
import argparse, datetime, os, platform, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tree_rss_kib(pid):
    """Resident memory of a process and all its descendants, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            pass
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(current, []))
    return total


def run_measured(command, env=None):
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kib(process.pid))
        time.sleep(0.05)
    output = process.stdout.read().decode()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{output}")
    return time.monotonic() - start, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cnnc", default=os.path.join(ROOT, ".build/release/cnnc"))
    args = parser.parse_args()
    if not os.path.exists(args.cnnc):
        subprocess.run(["swift", "build", "-c", "release", "--product", "cnnc"], cwd=ROOT, check=True)
    cnnc = args.cnnc
    scratch = tempfile.mkdtemp(prefix="cnnc-budgets-")
    env = dict(os.environ, CNNC_CACHE_DIR=os.path.join(scratch, "cache"))
    rows = []

    # 1. ImageNet-sized network from a cold cache.
    weights = os.path.join(scratch, "stem.safetensors")
    subprocess.run([cnnc, "init-weights", "models/imagenet_stem.yaml", "-o", weights], cwd=ROOT, check=True, capture_output=True)
    seconds, peak = run_measured([cnnc, "build", "models/imagenet_stem.yaml", "--weights", weights, "-o", os.path.join(scratch, "stem")], env)
    rows.append(("`cnnc build models/imagenet_stem.yaml`, cold cache", f"{seconds:.1f} s", "under 90 s", f"peak {peak / 1024:.0f} MiB"))

    # 2. Ten million parameters.
    weights = os.path.join(scratch, "large.safetensors")
    subprocess.run([cnnc, "init-weights", "bench/large10m.yaml", "-o", weights], cwd=ROOT, check=True, capture_output=True)
    parameters = subprocess.run([cnnc, "summary", "bench/large10m.yaml"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    count = [line.split()[-1] for line in parameters.splitlines() if line.startswith("Parameters:")][0]
    seconds, peak = run_measured([cnnc, "build", "bench/large10m.yaml", "--weights", weights, "-o", os.path.join(scratch, "large")], env)
    rows.append((f"`cnnc build bench/large10m.yaml` ({count} parameters), cold cache", f"{seconds:.1f} s",
                 "memory under 4 GB", f"peak {peak / 1024:.0f} MiB for the whole process tree"))

    # 3. lenet5: generated inferencer against the interpreter.
    weights = os.path.join(scratch, "lenet5.safetensors")
    subprocess.run([cnnc, "init-weights", "models/lenet5.yaml", "-o", weights], cwd=ROOT, check=True, capture_output=True)
    binary = os.path.join(scratch, "lenet5")
    subprocess.run([cnnc, "build", "models/lenet5.yaml", "--weights", weights, "-o", binary], cwd=ROOT, env=env, check=True, capture_output=True)
    sample = os.path.join(scratch, "digit.f32")
    with open(sample, "wb") as f:
        f.write(bytes(4 * 32 * 32))
    bench = subprocess.run([binary, "--bench", "-n", "5000", "--json", "--input", sample], check=True, capture_output=True, text=True).stdout
    import json
    compiled_us = json.loads(bench)["latency_us_median"]
    # The interpreter's time per sample: a batch of 200 samples in one `cnnc run`, minus a batch of 1.
    def timed(command, repeats):
        times = []
        for _ in range(repeats):
            start = time.monotonic()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.monotonic() - start)
        return statistics.median(times)
    batch = os.path.join(scratch, "batch.f32")
    with open(batch, "wb") as f:
        f.write(bytes(4 * 32 * 32 * 200))
    run_one = timed([cnnc, "run", "models/lenet5.yaml", "--weights", weights, "--input", sample], 7)
    run_many = timed([cnnc, "run", "models/lenet5.yaml", "--weights", weights, "--input", batch], 5)
    interpreted_us = (run_many - run_one) / 199 * 1e6
    rows.append(("lenet5 batch-1 latency: generated (`--bench` median) vs `cnnc run` (per sample)",
                 f"{compiled_us:.1f} µs vs {interpreted_us:.0f} µs", "at least 5× faster", f"{interpreted_us / compiled_us:.0f}×"))
    binary_one = timed([binary, "--input", sample], 15)
    rows.append(("lenet5, one input, whole process: generated binary vs `cnnc run`",
                 f"{binary_one * 1e3:.1f} ms vs {run_one * 1e3:.1f} ms", "", f"{run_one / binary_one:.0f}×"))

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    lines = [
        "# Code generator budgets",
        "",
        f"Measured by `bench/build-budgets.py` on {datetime.date.today().isoformat()}: {cpu}, {os.cpu_count()} cores, {swift}.",
        "Do not edit by hand; rerun the script.",
        "",
        "| what | measured | budget | note |",
        "|---|---|---|---|",
    ] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows] + [""]
    with open(os.path.join(ROOT, "docs/build-budgets.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
