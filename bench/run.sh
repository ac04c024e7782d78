#!/usr/bin/env bash
# Benchmarks cnnc's generated inferencers against ONNX Runtime and rewrites docs/benchmarks.md.
# Sets up tools/.venv (pinned onnxruntime), builds cnnc in release, then runs
# bench/compare-onnxruntime.py with any arguments given here (see its --help). About 5 minutes,
# 7 or so when the inferencers are built for the first time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$("$root/tools/setup-python-env.sh" | tail -n 1)"
# Always asked: swift build is a quick no-op when cnnc is up to date, and a stale cnnc would
# benchmark old code.
(cd "$root" && swift build -c release --product cnnc >&2)
exec "$python" "$root/bench/compare-onnxruntime.py" --cnnc "$root/.build/release/cnnc" "$@"
