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


APP = r"""
import Glibc
import Lenet5
import CifarVgg

func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func measure(_ count: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    let start = cpuSeconds()
    for _ in 0..<count { try body() }
    return (cpuSeconds() - start) / Double(count) * 1e6
}

let lenet = Lenet5(), vgg = CifarVgg()
let lenetInput = [Float](repeating: 0.5, count: Lenet5.inputCount)
let vggInput = [Float](repeating: 0.5, count: CifarVgg.inputCount)
print(try measure(2000) { _ = try lenet.predict(lenetInput) }, try measure(20) { _ = try vgg.predict(vggInput) })
"""


def library_debug_vs_release(cnnc, scratch, env):
    """lenet5 and cifar_vgg through their generated libraries in one app, debug against release."""
    app = os.path.join(scratch, "packages", "app")
    os.makedirs(os.path.join(app, "Sources/App"))
    for spec in ["lenet5", "cifar_vgg"]:
        weights = os.path.join(scratch, f"{spec}-app.safetensors")
        subprocess.run([cnnc, "init-weights", f"models/{spec}.yaml", "-o", weights], cwd=ROOT, check=True, capture_output=True)
        subprocess.run([cnnc, "generate", f"models/{spec}.yaml", "--weights", weights, "-o", os.path.join(scratch, "packages", spec)],
                       cwd=ROOT, env=env, check=True, capture_output=True)
    with open(os.path.join(app, "Package.swift"), "w") as f:
        f.write("""// swift-tools-version: 6.0
import PackageDescription
let package = Package(name: "App", platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../lenet5"), .package(path: "../cifar_vgg")],
    targets: [.executableTarget(name: "App", dependencies: [
        .product(name: "Lenet5", package: "lenet5"), .product(name: "CifarVgg", package: "cifar_vgg")])])
""")
    with open(os.path.join(app, "Sources/App/main.swift"), "w") as f:
        f.write(APP)
    times = {}
    for configuration in ["debug", "release"]:
        subprocess.run(["swift", "build", "-c", configuration, "--scratch-path", os.path.join(scratch, "app-build")],
                       cwd=app, check=True, capture_output=True)
    for _ in range(5):
        for configuration in ["debug", "release"]:
            output = subprocess.run([os.path.join(scratch, "app-build", configuration, "App")], check=True, capture_output=True, text=True).stdout
            times.setdefault(configuration, []).append([float(x) for x in output.split()])
    rows = []
    for index, name in enumerate(["lenet5", "cifar_vgg"]):
        debug = statistics.median(t[index] for t in times["debug"])
        release = statistics.median(t[index] for t in times["release"])
        rows.append((f"{name} through the generated library in an app: debug vs release build (CPU time per call)",
                     f"{debug:.0f} µs vs {release:.0f} µs", "debug within 3× of release", f"{debug / release:.2f}×"))
    return rows


SIZES_HEADING = "## Sizes per model and target"
TARGET_MODELS = ["blur", "edges", "sharpen", "seed", "digits", "mobile_block", "mobilenetv2_block", "lenet5",
                 "unet_small", "resnet_cifar", "cifar_vgg", "imagenet_stem"]
INLINE_MODELS = {"blur", "edges", "sharpen"}


def number(text):
    return int(text.replace(",", ""))


def target_sizes(cnnc, scratch, env):
    """Builds every bundled model for every embedded target (sizes do not depend on the machine's
    load, so this section can be re-measured alone with --only-sizes)."""
    import json, re
    rows, budget_rows = [], []
    for model in TARGET_MODELS:
        spec = f"models/{model}.yaml"
        weights = []
        if model not in INLINE_MODELS:
            path = os.path.join(scratch, f"{model}.safetensors")
            subprocess.run([cnnc, "init-weights", spec, "-o", path], cwd=ROOT, check=True, capture_output=True)
            weights = ["--weights", path]
        summary = json.loads(subprocess.run([cnnc, "summary", spec, "--format", "json"], cwd=ROOT, check=True,
                                            capture_output=True, text=True).stdout)
        planned = summary["memory_plan"]["arena_bytes"]
        for target in ["wasm32", "armv7em", "riscv32"]:
            built = subprocess.run([cnnc, "build", spec, *weights, "--target", target, "-o", os.path.join(scratch, f"{model}-{target}")],
                                   cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
            if target == "wasm32":
                match = re.search(r"\.wasm ([\d,]+) bytes \(weights ([\d,]+), code and tables ([\d,]+)\), arena ([\d,]+) bytes", built)
                total, weight_bytes, code, arena = (number(g) for g in match.groups())
            else:
                match = re.search(r"flash ([\d,]+) bytes \(code ([\d,]+), weights ([\d,]+)\), RAM ([\d,]+) bytes \(arena ([\d,]+)\)", built)
                total, code, weight_bytes, ram, arena = (number(g) for g in match.groups())
            # The microcontroller builds keep the interpreter's summation order (no Winograd scratch), so
            # their arena is at most the summary's, which plans the host's fastest order.
            if (arena != planned) if target == "wasm32" else (arena > planned):
                raise SystemExit(f"{model} for {target}: arena {arena} bytes, the planner's figure is {planned}")
            rows.append(f"| {model} | {target} | {code:,} | {weight_bytes:,} | {total:,} | {arena:,} |")
            if model == "lenet5" and target == "wasm32":
                budget_rows.append(f"| lenet5 `.wasm`, weights included | {total:,} bytes | 300 KB | {'within' if total <= 300_000 else 'OVER'} |")
            if model == "lenet5" and target == "armv7em":
                budget_rows.append(f"| lenet5 Cortex-M code, weights excluded | {code:,} bytes | 32 KB | {'within' if code <= 32 * 1024 else 'OVER'} |")
    return [
        SIZES_HEADING,
        "",
        "`cnnc build --target T` of every bundled model (weights from `cnnc init-weights`; blur, edges and",
        "sharpen with their inline filters). *code*: for wasm32 everything in the module but the weights",
        "(code, tables, data segments); for the microcontrollers everything in flash but the weights",
        "(instructions, constants, unwind tables). *flash or file*: the `.wasm` file's size, or code plus",
        "weights. *arena*: static RAM (in the module's memory, or the library's `.bss`), checked equal to",
        "the memory planner's figure (`cnnc summary`) for wasm32, and at most that for the microcontrollers,",
        "which keep the interpreter's summation order and so have no Winograd scratch. The stack is not counted,",
        "nor the static memory into which a module with Winograd layers transforms their embedded filters",
        "on its first call (docs/codegen.md, \"Prepared weights\").",
        "",
        "| what | measured | budget | |",
        "|---|---|---|---|",
        *budget_rows,
        "",
        "| model | target | code | weights | flash or file | arena |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cnnc", default=os.path.join(ROOT, ".build/release/cnnc"))
    parser.add_argument("--only-sizes", action="store_true",
                        help="re-measure only the sizes per target and keep the timed rows of docs/build-budgets.md")
    args = parser.parse_args()
    if not os.path.exists(args.cnnc):
        subprocess.run(["swift", "build", "-c", "release", "--product", "cnnc"], cwd=ROOT, check=True)
    cnnc = args.cnnc
    scratch = tempfile.mkdtemp(prefix="cnnc-budgets-")
    env = dict(os.environ, CNNC_CACHE_DIR=os.path.join(scratch, "cache"))
    document = os.path.join(ROOT, "docs/build-budgets.md")
    if args.only_sizes:
        timed_part = open(document, encoding="utf-8").read().split(SIZES_HEADING)[0].rstrip("\n") + "\n\n"
        with open(document, "w", encoding="utf-8") as f:
            f.write(timed_part + "\n".join(target_sizes(cnnc, scratch, env)))
        print(open(document, encoding="utf-8").read())
        shutil.rmtree(scratch, ignore_errors=True)
        return
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
    count = [line.split()[-1] for line in parameters.splitlines() if line.startswith("Total params:")][0]
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

    # 4. Size: the stripped lenet5 binary, against the floor any statically linked Swift program has.
    hello = os.path.join(scratch, "hello")
    os.makedirs(hello)
    with open(os.path.join(hello, "main.swift"), "w") as f:
        f.write('print("hi")\n')
    subprocess.run(["swiftc", "-O", "-static-stdlib", "main.swift", "-o", "hello", "-Xlinker", "--strip-all"], cwd=hello, check=True, capture_output=True)
    floor = os.path.getsize(os.path.join(hello, "hello"))
    library = [os.path.join(dirpath, name) for dirpath, _, names in os.walk(os.path.join(scratch, "cache"))
               for name in names if name == "libLenet5Kernels.a"][0]
    rows.append(("lenet5 binary (`cnnc build`, stripped, static Swift runtime)", f"{os.path.getsize(binary) / 1e6:.2f} MB",
                 "2 MB: not reached (docs/codegen.md, Size)", f"floor: a stripped `print(\"hi\")` with the static runtime is {floor / 1e6:.2f} MB; "
                 f"the network's library (kernels, steps, 247 KB of weights) is {os.path.getsize(library) / 1e3:.0f} KB"))

    # 5. The generated library in an app built in debug and in release (one scratch folder), CPU time
    # per call, runs interleaved.
    rows += library_debug_vs_release(cnnc, scratch, env)

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
    ] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows] + [""] + target_sizes(cnnc, scratch, env)
    with open(document, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
