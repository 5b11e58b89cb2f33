#!/usr/bin/env bash
# Packs a Node.js entry of this project into .device/ so that it runs on a GPU machine that has an NVIDIA driver
# but no Node.js, no npm registry and no Vulkan loader (docs/gpu-check.md).
#   usage, from the project root after npm ci:   bash scripts/device/pack.sh scripts/gpu-check.ts
# Then, on the GPU machine, from a copy of the project root with .device/ in it:   bash .device/run.sh [args...]
# What it packs: the entry bundled into one ES module with esbuild (Dawn's native addon, npm package `webgpu`,
# beside it), this machine's Node.js binary compressed, and Debian 12's Vulkan loader and GL dispatch packages,
# which the NVIDIA Vulkan driver needs. About 53 MiB.
set -euo pipefail
entry=${1:?usage: bash scripts/device/pack.sh ENTRY.ts}
here=$(cd "$(dirname "$0")" && pwd)
root=$(git rev-parse --show-toplevel)
cd "$root"
out=.device
exclude=$(git rev-parse --git-path info/exclude)   # a worktree's .git is a file: ask git where the file is
mkdir -p "$(dirname "$exclude")"
grep -qx '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >> "$exclude"
mkdir -p "$out"
# 1. one ES module with every JS dependency inside; Dawn's native addon stays outside
node_modules/.bin/esbuild "$entry" --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile="$out/bundle.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
# 2. the Dawn addon (WebGPU for Node), linux-x64 only
if [ -d node_modules/webgpu ]; then
  mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$out/node_modules/webgpu/dist/linux-x64/"
fi
# 3. Node.js itself, compressed (the GPU machine has none)
[ -f "$out/node.xz" ] && [ "$out/node.xz" -nt "$(command -v node)" ] || xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
# 4. the Vulkan loader and GL dispatch libraries the NVIDIA Vulkan driver needs (Debian 12 packages)
if ! ls "$out"/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$out" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>&1 | grep -v unsandboxed || true)
fi
cp "$here/run.sh" "$out/run.sh"
du -sh "$out" | awk '{print "packed " $2 ": " $1}'
