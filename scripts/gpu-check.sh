#!/usr/bin/env bash
# The GPU check in one command (docs/gpu-check.md): the balanced GAN's four strategies at batch 64 and 4096 on
# tfjs-webgpu and on the pytorch backend (CUDA there) in one run of the packed bundle of scripts/gpu-check.ts, which
# renders the table (webgpu/PyTorch time ratios, kernels and dispatches, FLOP/s against the measured fp32 peak)
# from the results; then the same webgpu steps on Dawn's null device (host overhead only), added to the table.
#
# Prepare, on the development machine, from the project root (after npm ci):
#     npm run gpu-check:pack            # -> .device/ (bundle, node, Dawn addon, Vulkan loader), < 64 MiB
# Then on the GPU machine (the device tool's run, from the project root):
#     carry [".device"], command "bash scripts/gpu-check.sh", timeout_s 230
#
# Writes into $OUT (default ./gpu-check-out):
#     gpu-check.md   the table (also printed at the end)
#     main/          results.json, results.csv, gpu-check.json, report.md, *.svg   (webgpu and pytorch cells)
#     variant/       the same for the variant run (webgpu only), when it ran
#     log-main.txt, log-variant.txt
#
# Options: every argument goes to the main run (scripts/gpu-check.ts --help), e.g. --quick (batch 64 only, tiny
# budgets: a smoke test) or --flag WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=100.
# GPU_CHECK_VARIANT: the variant run's arguments; unset, "--dawn backend=null" (Dawn's null device: its times are
# the host's own overhead, the floor under the GPU's; labelled null-device in the table); "--flag NAME=VALUE"
# compares two flag settings in one call (labelled variant); empty: no variant.
#
# Time: everything ends within GPU_CHECK_BUDGET_S (default 210 s) plus at most 10 s of kill grace. Each stage runs
# under `timeout`: the main run gets at most 165 s and leaves 45 s for the variant, which runs only if 40 s are
# left (at most 60 s). The main run saves its results and rewrites the table after each backend of each batch
# size (webgpu b64, pytorch b64, webgpu b4096, pytorch b4096), so a stage stopped by its limit keeps what it
# measured and the table shows it. A PyTorch worker that says nothing for GAN_BENCH_TORCH_TIMEOUT_S (60 s here)
# is stopped and fails its own cells; the run goes on.
# Off the GPU machine (no nvidia-smi) the bundle runs on the local node: webgpu on lavapipe, PyTorch on the CPU
# (the first python3/python on PATH that imports torch, or GAN_BENCH_PYTHON).
# Exit status: the main run's (0: every cell ran; 1: a cell failed; 124: it ran out of time).
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export OUT
export GAN_BENCH_TORCH_TIMEOUT_S=${GAN_BENCH_TORCH_TIMEOUT_S:-60}
budget=${GPU_CHECK_BUDGET_S:-210}
deadline=$((SECONDS + budget))

# seconds for a stage: its cap, but never more than the time left minus what later stages need
stage_time() { # cap reserve
  local left=$((deadline - SECONDS - $2))
  [ "$left" -lt 5 ] && left=5
  if [ "$left" -lt "$1" ]; then echo "$left"; else echo "$1"; fi
}

if command -v nvidia-smi >/dev/null 2>&1; then
  runner=(bash .device/run.sh)          # unpacks the Vulkan loader, points it at the NVIDIA driver, runs the bundle
else
  runner=(node .device/bundle.mjs)      # development machine: local node, lavapipe, a CPU PyTorch
fi
if [ ! -f .device/bundle.mjs ]; then
  echo "gpu-check: .device/bundle.mjs is missing: run 'npm run gpu-check:pack' first" >&2
  exit 2
fi
if [ ! -f src/backends/pytorch/gan_worker/__main__.py ]; then
  echo "gpu-check: src/backends/pytorch/gan_worker (the PyTorch worker) is missing: run from a copy of the project root" >&2
  exit 2
fi

t=$(stage_time 165 45)
echo "== gpu-check: webgpu and PyTorch, balanced at batch 64 and 4096 (${runner[*]}; ${t} s at most), out $OUT"
timeout -k 10 "$t" "${runner[@]}" --out "$OUT/main" --table "$OUT/gpu-check.md" "$@" 2>&1 | tee "$OUT/log-main.txt"
main_rc=${PIPESTATUS[0]}
[ "$main_rc" = 124 ] && echo "gpu-check: the main run ran out of its ${t} s (what it measured is saved; the table shows it)"

# The null device runs batch 64 only: at 4096 Dawn's null device refuses the buffers ("Out of memory" from
# DeviceNull.cpp's IncrementMemoryUsage; seen on the H200), so those rows could only fail.
variant=${GPU_CHECK_VARIANT-"--dawn backend=null --batch-sizes 64"}
variant_label=variant
case "$variant" in *backend=null*) variant_label=null-device ;; esac
if [ -n "$variant" ]; then
  t=$(stage_time 60 0)
  if [ "$t" -ge 40 ]; then
    echo "== gpu-check: webgpu variant ($variant_label): $variant (${t} s at most)"
    # shellcheck disable=SC2086  # the variant is a list of arguments
    timeout -k 10 "$t" "${runner[@]}" --out "$OUT/variant" --backend webgpu --label "$variant_label" \
      --with "default=$OUT/main" --table "$OUT/gpu-check.md" --equivalence-max-batch 1 "$@" $variant \
      2>&1 | tee "$OUT/log-variant.txt"
  else
    echo "gpu-check: no time left for the variant ($t s)"
  fi
fi

echo "== gpu-check: the table ($OUT/gpu-check.md)"
cat "$OUT/gpu-check.md" 2>/dev/null || echo "gpu-check: no table was written"
echo "gpu-check: done in ${SECONDS} s; files in $OUT"
exit "$main_rc"
