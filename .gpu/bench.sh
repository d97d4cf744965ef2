#!/usr/bin/env bash
# On the lent GPU machine (one call): unpacks what .gpu/make-bench.sh built, installs the Vulkan loader
# from the carried Debian packages, and runs `npm run bench -- gpu` (fused path, tfjs-backend-webgpu and
# wasm, each engine in its own process) next to PyTorch's step of the same maths on CUDA, printing the
# ratios. Figures go to stdout and to $OUT/gpu-bench.txt.
# Options are passed to the bench (e.g. --sizes=2000,8000 --budget-s=5 --no-presets).
# Also runs on a machine with any other WebGPU adapter (lavapipe: set VK_ICD_FILENAMES first; then
# pass --torch=cpu to compare with PyTorch on the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=.gpu/carry/bench.tar.xz
[ -f "$ARCHIVE" ] || { echo "bench.sh: $ARCHIVE is missing: run bash .gpu/make-bench.sh first, and carry .gpu/carry" >&2; exit 2; }
WORK=$(mktemp -d)
tar -C "$WORK" -xJf "$ARCHIVE"
echo "bench of commit $(cat .gpu/carry/commit 2>/dev/null || echo unknown), unpacked in $WORK"

if ! ldconfig -p | grep -q libvulkan.so.1; then
  for deb in "$WORK"/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_ICD_FILENAMES=$nvidia_icd; fi
export AEM_BACKEND_MODULES="$WORK/gpu-modules/node_modules"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

torch=()
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  export AEM_BENCH_PYTHON=$(command -v python3)
  device=$(python3 -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
  torch=(--torch="$device")
fi

out=${OUT:-$WORK}
"$WORK/node" "$WORK/app/dist/engine.mjs" backends | tee "$out/gpu-bench.txt"
"$WORK/node" "$WORK/app/out/test/bench/run.js" gpu "${torch[@]}" "$@" 2>&1 | grep -v 'artificially reduced' | tee -a "$out/gpu-bench.txt"
