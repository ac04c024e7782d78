#!/usr/bin/env bash
# Builds the fuzz targets (once, instrumented with AddressSanitizer and libFuzzer's coverage) and
# runs them. docs/fuzzing.md says more.
#
#   Fuzz/run.sh TARGET SECONDS   run one target (FuzzSpec, FuzzSafeTensors, FuzzNPY, FuzzNetPBM,
#                                FuzzONNX, FuzzPipeline) for SECONDS on a scratch copy of its corpus
#   Fuzz/run.sh all SECONDS      every target, one after another
#   Fuzz/run.sh smoke            CI: every target 15 s, then 20 generated packages compiled
#   Fuzz/run.sh build            only build
#
# Environment: FUZZ_CONFIG=debug|release (default debug: cnnc's CNNCCore is -O even there, and the
# build is shorter); FUZZ_ONONE=1 builds everything -Onone (the default of smoke); FUZZ_ARGS adds
# libFuzzer flags (e.g. -runs=N, -dict, -only_ascii=1);
# FUZZ_KEEP_CORPUS=1 merges what a run found back into Fuzz/Corpus/TARGET (review before committing).
# A crash, a hang over 10 s or more than 2 GB exits non-zero and leaves the input in
# Fuzz/.artifacts/TARGET/ (gitignored); reproduce it with `Fuzz/run.sh TARGET path/to/crash-…`.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/opt/swift/usr/bin:$PATH"

TARGETS=(FuzzSpec FuzzSafeTensors FuzzNPY FuzzNetPBM FuzzONNX FuzzPipeline)
CONFIG="${FUZZ_CONFIG:-debug}"
SCRATCH=".build/$CONFIG"
# The smoke run builds everything -Onone (cnnc's CNNCCore included, which the package makes -O even
# in debug builds): 40 % less compile time, and 15 s of fuzzing needs no speed.
[ "${1:-}" = smoke ] && FUZZ_ONONE="${FUZZ_ONONE:-1}"
OPTIMISATION=()
if [ "${FUZZ_ONONE:-0}" = 1 ]; then
    OPTIMISATION=(-Xswiftc -Onone)
    SCRATCH=".build/$CONFIG-onone"
fi
BIN="$SCRATCH/$CONFIG"
# The Swift runtime's own crash reporter would wait for a debugger; libFuzzer reports instead.
# Leaks are not failures: Swift's runtime caches look like leaks to LeakSanitizer.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"

build() {
    local swiftc libfuzzer
    swiftc="$(readlink -f "$(command -v swiftc)")"
    libfuzzer="$(ls "$(dirname "$swiftc")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a | head -n 1)"
    # ld.gold warns about every ASan symbol it cannot export from the executables; harmless.
    CNNC_LIBFUZZER="$libfuzzer" swift build --package-path . --scratch-path "$SCRATCH" -c "$CONFIG" \
        -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table "${OPTIMISATION[@]}" \
        2>&1 | { grep -v "Cannot export local symbol" || true; } >&2
}

# run TARGET SECONDS|FILE…
run() {
    local target="$1"; shift
    case " ${TARGETS[*]} " in *" $target "*) ;; *) echo "unknown target '$target' (${TARGETS[*]})" >&2; exit 2 ;; esac
    local artifacts=".artifacts/$target"
    mkdir -p "$artifacts"
    if [[ "$1" =~ ^[0-9]+$ ]]; then
        local seconds="$1" work
        work="$(mktemp -d "${TMPDIR:-/tmp}/cnnc-fuzz-$target.XXXXXX")"
        cp -R "Corpus/$target/." "$work/"
        # -rss_limit_mb: cnnc's own budget is 1 GB per input; ASan's shadow and quarantine add
        # about as much again. -timeout: the budget is 2 s of CPU in a release build; ASan and
        # coverage make it about five times slower.
        local status=0
        # shellcheck disable=SC2086
        ./"$BIN/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$work" || status=$?
        if [ "$status" = 0 ] && [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
            ./"$BIN/$target" -merge=1 "Corpus/$target" "$work"
        fi
        rm -rf "$work"
        if [ "$status" != 0 ]; then
            echo "fuzz: $target failed (status $status); the input is in Fuzz/$artifacts/" >&2
            return "$status"
        fi
    else
        # shellcheck disable=SC2086
        ./"$BIN/$target" -rss_limit_mb=2048 -timeout=10 ${FUZZ_ARGS:-} "$@"
    fi
}

# Executions of each target in a smoke run: about 75 % of what 16 s gave on this machine (CI log of
# 2026-12-01, -Onone build).
smoke_runs() {
    case "$1" in
        FuzzSpec) echo 8000 ;;
        FuzzSafeTensors) echo 75000 ;;
        FuzzNPY) echo 85000 ;;
        FuzzNetPBM) echo 150000 ;;
        FuzzONNX) echo 15000 ;;
        FuzzPipeline) echo 150 ;;
        *) echo 1000 ;;
    esac
}

case "${1:-}" in
    build)
        build ;;
    all)
        build
        for target in "${TARGETS[@]}"; do run "$target" "${2:?seconds}"; done ;;
    smoke)
        start=$SECONDS
        build
        echo "fuzz: build took $((SECONDS - start)) s" >&2
        # A fixed seed, Swift's hashing fixed and a fixed number of runs (about 12 s of each target
        # here, the time limit as a backstop on slower machines). That narrows what CI draws but does
        # not fix it (two runs here of FuzzONNX kept 487 and 494 new inputs), so a smoke run can find
        # what long runs missed: those are what keep the smoke run quiet (docs/fuzzing.md).
        # The targets share the cores: each lane runs its targets one after another, each target's
        # output kept in a log printed when it ends, so the lanes' lines do not interleave.
        lanes="$(nproc)"
        logs="$(mktemp -d "${TMPDIR:-/tmp}/cnnc-fuzz-smoke.XXXXXX")"
        pids=()
        for ((lane = 0; lane < lanes; lane++)); do
            (
                for ((index = lane; index < ${#TARGETS[@]}; index += lanes)); do
                    target="${TARGETS[index]}"
                    status=0
                    SWIFT_DETERMINISTIC_HASHING=1 FUZZ_ARGS="-seed=1 -runs=$(smoke_runs "$target") ${FUZZ_ARGS:-}" \
                        run "$target" 15 > "$logs/$target.log" 2>&1 || status=$?
                    cat "$logs/$target.log" >&2
                    [ "$status" = 0 ] || exit "$status"
                done
            ) &
            pids+=($!)
        done
        failed=0
        for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
        rm -rf "$logs"
        [ "$failed" = 0 ] || exit 1
        echo "fuzz: the targets took $((SECONDS - start)) s since the start" >&2
        FUZZ_BIN="$BIN" ./compile-generated.sh
        echo "fuzz: smoke took $((SECONDS - start)) s" >&2 ;;
    "")
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    *)
        build
        run "$1" "${@:2}" ;;
esac
