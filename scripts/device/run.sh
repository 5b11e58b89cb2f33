#!/usr/bin/env bash
# Runs on the GPU machine: unpacks what scripts/device/pack.sh put in .device/ (the Vulkan loader, Node.js), points
# the loader at the NVIDIA driver, prints the GPU and runs the bundle from the project root with the given args.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
for f in "$dir"/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
xz -dc "$dir/node.xz" > /tmp/node && chmod +x /tmp/node
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
cd "$dir/.." && exec /tmp/node "$dir/bundle.mjs" "$@"
