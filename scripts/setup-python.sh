#!/usr/bin/env bash
# `npm run setup:python`: creates the project's Python environment, .venv at the repository root, from a Python 3.11
# (the version requirements/ci.txt is pinned for) and installs requirements/ci.txt into it: PyTorch 2.13 for the CPU,
# pytest and mypy. The pytorch backend, `npm run test:python` and `npm run typecheck:python` then use .venv by
# themselves (after GAN_BENCH_PYTHON, before every python3/python on PATH: src/backends/pytorch/python.ts).
# Which Python builds it: $PYTHON if set, else the first python3.11, python3 or python on PATH that is 3.11 and can
# create a venv. Idempotent: does nothing when .venv already holds every pinned version. Needs no root.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly VENV=.venv
readonly LOCK=requirements/ci.txt
readonly WANTED=3.11

log() { printf 'setup-python: %s\n' "$*"; }

# Every `name==version` of the lock installed at that version (names compared as pip normalises them).
readonly SATISFIES='
import re, sys
from importlib import metadata
def norm(name): return re.sub(r"[-_.]+", "-", name).lower()
installed = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
missing = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line or line.startswith("-"):
        continue
    name, _, version = line.partition("==")
    got = installed.get(norm(name), "none")
    if got != version:
        missing.append(f"{name}=={version} (installed: {got})")
print("; ".join(missing))
sys.exit(1 if missing else 0)
'

# Python version "3.11" of a command, or nothing where it cannot run or cannot create a venv with pip.
usable_version() {
  "$1" -c 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

find_python() {
  local tried=() candidate version
  if [[ -n "${PYTHON:-}" ]]; then
    version="$(usable_version "$PYTHON")"
    [[ "$version" == "$WANTED" ]] && { printf '%s\n' "$PYTHON"; return; }
    log "PYTHON=$PYTHON is not a Python $WANTED that can create a venv (it says: ${version:-cannot run, or lacks venv/ensurepip})" >&2
    return 1
  fi
  for candidate in "python$WANTED" python3 python; do
    command -v "$candidate" >/dev/null || continue
    version="$(usable_version "$candidate")"
    [[ "$version" == "$WANTED" ]] && { command -v "$candidate"; return; }
    tried+=("$(command -v "$candidate"): ${version:-cannot run, or lacks venv/ensurepip}")
  done
  log "no Python $WANTED that can create a venv on PATH (tried: ${tried[*]:-none}). Install Python $WANTED with its" \
    "venv module (Debian 12: sudo apt install python3-venv; or pyenv install $WANTED), or name one: PYTHON=/path/to/python$WANTED npm run setup:python" >&2
  return 1
}

if [[ -x "$VENV/bin/python" ]] && [[ "$(usable_version "$VENV/bin/python")" == "$WANTED" ]]; then
  if unsatisfied="$("$VENV/bin/python" -c "$SATISFIES" "$LOCK")"; then
    log "$VENV already holds $LOCK ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
    exit 0
  fi
  log "$VENV lacks: $unsatisfied"
else
  [[ -e "$VENV" ]] && { log "$VENV is not a working Python $WANTED venv: recreating it"; rm -rf "$VENV"; }
  python="$(find_python)"
  log "creating $VENV from $python ($("$python" --version 2>&1))"
  "$python" -m venv "$VENV"
fi

start=$SECONDS
log "installing $LOCK into $VENV"
# One retry per index: an index this machine cannot reach (PyTorch's own, behind a proxy or offline with a local
# index that has the wheels) then costs seconds, not pip's five backed-off retries per package.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --retries 1 -r "$LOCK"
"$VENV/bin/python" -c "$SATISFIES" "$LOCK" >/dev/null || {
  log "$VENV still lacks: $("$VENV/bin/python" -c "$SATISFIES" "$LOCK")" >&2
  exit 1
}
log "installed in $((SECONDS - start)) s: $("$VENV/bin/python" -c 'import sys, torch; print("Python %d.%d.%d," % sys.version_info[:3], "torch", torch.__version__)')"
