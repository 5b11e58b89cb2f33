#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe, adapter name "llvmpipe") from Debian 12's bookworm-backports,
# plus the Vulkan loader, so that Dawn (npm package `webgpu`) finds a WebGPU adapter on a machine without a GPU.
# Debian 12's own Mesa (22.3) lacks Vulkan features Dawn requires; the backports Mesa has them.
# Idempotent: does nothing when the backports driver and the loader are already installed. Run as root.
set -euo pipefail

readonly BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.list
readonly BACKPORTS_LINE='deb http://deb.debian.org/debian bookworm-backports main'

log() { printf 'install-lavapipe: %s\n' "$*"; }

installed_version() {
  dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null | awk '$1 == "installed" { print $2 }'
}

mesa_version="$(installed_version mesa-vulkan-drivers || true)"
loader_version="$(installed_version libvulkan1 || true)"
if [[ "$mesa_version" == *bpo12* && -n "$loader_version" ]]; then
  log "already installed: mesa-vulkan-drivers $mesa_version (backports), libvulkan1 $loader_version"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  log "must run as root (apt-get install); try: sudo bash $0" >&2
  exit 1
fi

if ! grep -qs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null; then
  log "adding $BACKPORTS_LIST"
  echo "$BACKPORTS_LINE" > "$BACKPORTS_LIST"
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -qq
log "installing mesa-vulkan-drivers (bookworm-backports) and libvulkan1"
apt_log="$(mktemp)"
if ! apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >"$apt_log" 2>&1; then
  cat "$apt_log" >&2
  rm -f "$apt_log"
  exit 1
fi
rm -f "$apt_log"

log "installed: mesa-vulkan-drivers $(installed_version mesa-vulkan-drivers), libvulkan1 $(installed_version libvulkan1)"
