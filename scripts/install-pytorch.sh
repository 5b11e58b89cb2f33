#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch, 1.13 on Debian 12) and OpenBLAS (libopenblas0-pthread) for the `pytorch`
# backend, so that its tests run for real, and pytest (python3-pytest) and mypy for the worker's own tests and type
# check (`npm run test:python`, `npm run typecheck:python`), and python3-venv, with which scripts/setup-python.sh
# builds the project's venv (PyTorch 2.13 from pip) from the same Python 3.11. OpenBLAS matters: without it
# Debian's libblas.so.3 alternative is the reference BLAS, about 7x slower for the GAN's matrix products. Then checks
# that /usr/bin/python3 imports torch. Idempotent: does nothing when all are installed. Run as root.
set -euo pipefail

readonly PACKAGES=(python3-torch libopenblas0-pthread python3-pytest mypy python3-venv)

log() { printf 'install-pytorch: %s\n' "$*"; }

installed_version() {
  dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null | awk '$1 == "installed" { print $2 }'
}

missing=()
for package in "${PACKAGES[@]}"; do
  [[ -n "$(installed_version "$package" || true)" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "already installed: ${PACKAGES[*]} (python3-torch $(installed_version python3-torch))"
else
  if [[ "$(id -u)" -ne 0 ]]; then
    log "must run as root (apt-get install ${missing[*]}); try: sudo bash $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get update"
  apt-get update -qq
  log "installing ${missing[*]}"
  apt_log="$(mktemp)"
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    exit 1
  fi
  rm -f "$apt_log"
  log "installed: ${missing[*]} (python3-torch $(installed_version python3-torch))"
fi

# The backend finds this interpreter by itself (GAN_BENCH_PYTHON, then the project's venv, then every python3/python
# on PATH); CI keeps it as the second PyTorch version, beside the venv's 2.13.
/usr/bin/python3 -c 'import torch; print("install-pytorch: /usr/bin/python3 imports torch", torch.__version__)'
/usr/bin/python3 -m pytest --version
/usr/bin/python3 -m mypy --version
