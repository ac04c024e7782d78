#!/usr/bin/env bash
# Creates (or refreshes) the Python environment of the ONNX tools at tools/.venv, with the pinned
# packages of tools/requirements.txt from PyPI.
#
# Idempotent and quick when nothing changed: a stamp file inside the environment records the
# SHA-256 of requirements.txt (and the Python version) it was installed from; when it matches, the
# script only prints the interpreter's path and exits. Delete tools/.venv to start over.
#
# Usage: tools/setup-python-env.sh [--quiet]
# Prints the path of the environment's python on standard output (the last line).
# Environment: PYTHON selects the interpreter that creates the venv (default: python3).
set -euo pipefail

tools_dir="$(cd "$(dirname "$0")" && pwd)"
venv="$tools_dir/.venv"
requirements="$tools_dir/requirements.txt"
stamp="$venv/.cnnc-requirements.sha256"
python="${PYTHON:-python3}"
quiet=0
[[ "${1:-}" == "--quiet" ]] && quiet=1

log() { [[ $quiet == 1 ]] || echo "setup-python-env: $*" >&2; }
die() { echo "setup-python-env: error: $*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 || die "no '$python' on PATH: install Python 3.10 or later (Debian: apt-get install python3 python3-venv)"
python_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1) python-$python_version"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "$venv/bin/python"
    exit 0
fi

# Serialize concurrent setups (two test processes starting at once).
exec 9>"$tools_dir/.venv.lock"
flock 9
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "$venv/bin/python"
    exit 0
fi

log "creating $venv with Python $python_version"
rm -rf "$venv"
"$python" -m venv "$venv" \
    || die "'$python -m venv' failed (Debian: apt-get install python3-venv)"
pip_flags=(--disable-pip-version-check --no-input)
[[ $quiet == 1 ]] && pip_flags+=(--quiet)
log "installing $(grep -cvE '^\s*(#|$)' "$requirements") pinned packages from $requirements"
"$venv/bin/python" -m pip install "${pip_flags[@]}" --only-binary=:all: -r "$requirements" >&2 \
    || die "pip could not install $requirements from PyPI (is PyPI reachable? is there a wheel for Python $python_version on this platform?)"
"$venv/bin/python" -c 'import numpy, onnx, onnxruntime' \
    || die "the packages installed but do not import"
echo "$wanted" > "$stamp"
log "ready: numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)'), onnx $("$venv/bin/python" -c 'import onnx; print(onnx.__version__)'), onnxruntime $("$venv/bin/python" -c 'import onnxruntime; print(onnxruntime.__version__)')"
echo "$venv/bin/python"
