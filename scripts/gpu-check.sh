#!/usr/bin/env bash
# The GPU check in one command (docs/gpu-check.md): the balanced GAN's four strategies at batch 64 and 4096 on
# tfjs-webgpu (the packed Node bundle of scripts/gpu-check.ts) and in PyTorch (scripts/pytorch_reference.py) on
# the same GPU, then a table of webgpu/PyTorch time ratios and achieved FLOP/s against the measured fp32 peak.
#
# Prepare, on the development machine, from the project root (after npm ci):
#     bash ../shared/device/pack.sh scripts/gpu-check.ts        # -> .device/ (bundle, node, Vulkan loader), < 64 MiB
# Then on the GPU machine (the device tool's run, from the project root):
#     carry [".device"], command "bash scripts/gpu-check.sh", timeout_s 330
#
# Writes into $OUT (default ./gpu-check-out):
#     webgpu/        results.json, results.csv, report.md, *.svg, webgpu.json   (scripts/gpu-check.ts)
#     pytorch.json                                                               (scripts/pytorch_reference.py)
#     gpu-check.md   the comparison table (also printed)
#     log-webgpu.txt, log-pytorch.txt, and variant/ + log-variant.txt when GPU_CHECK_VARIANT is set
#
# Options: every argument is passed to the webgpu bundle (e.g. --flag WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=100);
# --quick also shrinks the PyTorch side (batch 64, 1 s per cell): a smoke test.
# GPU_CHECK_VARIANT="--flag NAME=VALUE ..." adds a second webgpu run with those arguments (no equivalence check)
# into $OUT/variant and a row per cell for it in the table, if time is left: e.g. to compare
# WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=15 (default) with 100 in one device call. Unset, the variant is
# "--dawn backend=null": the same steps on Dawn's null device, whose times are the host's own overhead (the
# floor under the GPU's), labelled null-device in the table; GPU_CHECK_VARIANT= (empty) runs no variant.
#
# Everything ends within GPU_CHECK_BUDGET_S (default 265 s, plus at most ~25 s of kill grace): each side runs
# under `timeout`, the webgpu side first (results are saved after each batch size, so a timeout keeps what
# was measured), then PyTorch, then the comparison, then the optional variant with whatever time is left.
# On a machine without nvidia-smi it runs the bundle with the local node (lavapipe) and skips PyTorch when it is
# not installed: that is how the script itself is tested off the GPU machine.
# Exit status: 0 when both sides ran every cell, otherwise the first failing side's status (124: timed out).
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export OUT
budget=${GPU_CHECK_BUDGET_S:-265}
deadline=$((SECONDS + budget))
quick=0
for arg in "$@"; do [ "$arg" = --quick ] && quick=1; done

# seconds for a stage: its cap, but never more than the time left minus what later stages need
stage_time() { # cap reserve
  local left=$((deadline - SECONDS - $2))
  [ "$left" -lt 5 ] && left=5
  if [ "$left" -lt "$1" ]; then echo "$left"; else echo "$1"; fi
}

if command -v nvidia-smi >/dev/null 2>&1; then
  runner=(bash .device/run.sh)          # unpacks the Vulkan loader, points it at the NVIDIA driver, runs the bundle
else
  runner=(node .device/bundle.mjs)      # development machine: local node, lavapipe
fi
if [ ! -f .device/bundle.mjs ]; then
  echo "gpu-check: .device/bundle.mjs is missing: run 'bash ../shared/device/pack.sh scripts/gpu-check.ts' first" >&2
  exit 2
fi

echo "== gpu-check: webgpu side (${runner[*]}), out $OUT"
t=$(stage_time 170 100)
timeout -k 10 "$t" "${runner[@]}" --out "$OUT/webgpu" "$@" 2>&1 | tee "$OUT/log-webgpu.txt"
webgpu_rc=${PIPESTATUS[0]}
[ "$webgpu_rc" = 124 ] && echo "gpu-check: the webgpu side ran out of its ${t} s (results of finished batch sizes are kept)"

echo "== gpu-check: PyTorch side"
pytorch_rc=0
if python3 -c 'import torch' >/dev/null 2>&1; then
  if [ "$quick" = 1 ]; then
    py_args=(--batch-sizes 64 --seconds-per-cell 1 --warmup 3 --min-samples 3 --rounds 1 --equivalence-steps 1)
  else
    py_args=(--batch-sizes 64,4096 --seconds-per-cell 3 --warmup 10 --min-samples 10 --rounds 2)
  fi
  if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then dev=cuda; else dev=cpu; fi
  t=$(stage_time 100 10)
  timeout -k 10 "$t" python3 scripts/pytorch_reference.py "${py_args[@]}" --device "$dev" --out "$OUT/pytorch.json" \
    2>&1 | tee "$OUT/log-pytorch.txt"
  pytorch_rc=${PIPESTATUS[0]}
  [ "$pytorch_rc" = 124 ] && echo "gpu-check: the PyTorch side ran out of its ${t} s"
else
  echo "gpu-check: PyTorch is not installed here: no reference times" | tee "$OUT/log-pytorch.txt"
fi

variant=${GPU_CHECK_VARIANT-"--dawn backend=null"}
variant_label=variant
case "$variant" in *backend=null*) variant_label=null-device ;; esac

compare() {
  local runs=(--webgpu "default=$OUT/webgpu")
  [ -f "$OUT/variant/webgpu.json" ] && runs+=(--webgpu "$variant_label=$OUT/variant")
  timeout -k 5 20 python3 scripts/pytorch_reference.py compare "${runs[@]}" --pytorch "$OUT/pytorch.json" \
    --out "$OUT/gpu-check.md"
}
echo "== gpu-check: comparison"
compare

if [ -n "$variant" ]; then
  t=$(stage_time 150 25)
  if [ "$t" -ge 45 ]; then
    echo "== gpu-check: webgpu variant ($variant_label): $variant (${t} s)"
    # shellcheck disable=SC2086  # the variant is a list of arguments
    timeout -k 10 "$t" "${runner[@]}" --out "$OUT/variant" --equivalence-max-batch 1 "$@" $variant \
      2>&1 | tee "$OUT/log-variant.txt"
    echo "== gpu-check: comparison with the variant"
    compare
  else
    echo "gpu-check: no time left for the variant ($t s)"
  fi
fi

echo "gpu-check: done in ${SECONDS} s; files in $OUT"
[ "$webgpu_rc" != 0 ] && exit "$webgpu_rc"
exit "$pytorch_rc"
