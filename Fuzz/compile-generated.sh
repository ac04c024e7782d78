#!/usr/bin/env bash
# The structure-aware target's outputs must compile: runs FuzzPipeline on its fixed seeds
# (Corpus/FuzzPipeline/seed-*) with CNNC_FUZZ_GENERATED set, then type-checks the network core of the
# first 20 generated packages (the network's Swift and the kernels, as CoreLibraryBuilder compiles
# them, without the optimiser). Fails if fewer than 20 packages were generated or any does not
# type-check. Run by `Fuzz/run.sh smoke` after the build.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/opt/swift/usr/bin:$PATH"
BIN="${FUZZ_BIN:-.build/debug/debug}"
out="$(mktemp -d "${TMPDIR:-/tmp}/cnnc-fuzz-generated.XXXXXX")"
trap 'rm -rf "$out"' EXIT

SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 CNNC_FUZZ_GENERATED="$out" \
    "./$BIN/FuzzPipeline" Corpus/FuzzPipeline/seed-* >/dev/null 2>&1
mapfile -t packages < <(find "$out" -mindepth 1 -maxdepth 1 -type d | sort | head -n 20)
if [ "${#packages[@]}" -lt 20 ]; then
    echo "compile-generated: only ${#packages[@]} of the seeds gave a package; 20 are needed" >&2
    exit 1
fi
# One package per core at a time; each writes `failed` into its folder when it does not type-check.
typecheck() {
    local package="$1" module
    module="$(cat "$package/core-module")"
    mapfile -t sources < "$package/core-sources"
    if ! (cd "$package" && swiftc -typecheck -parse-as-library -package-name "$module" -module-name "$module" \
            -I "$(cat core-includes)" "${sources[@]}" 2> "$package/errors"); then
        { echo "compile-generated: the package of this spec does not compile:"; cat "$package/spec.yaml" "$package/errors"; } >&2
        touch "$package/failed"
    fi
}
export -f typecheck
printf '%s\0' "${packages[@]}" | xargs -0 -n 1 -P "$(nproc)" bash -c 'typecheck "$0"'
failed="$(find "$out" -mindepth 2 -maxdepth 2 -name failed | wc -l)"
if [ "$failed" -gt 0 ]; then
    echo "compile-generated: $failed of 20 generated packages do not compile" >&2
    exit 1
fi
echo "compile-generated: 20 generated packages type-check"
