#!/usr/bin/env bash
# Builds what `.gpu/bench.sh` carries to the lent GPU machine, which has neither Node nor the project's
# packages nor the Vulkan loader: one archive, .gpu/carry/bench.tar.xz (git-ignored), with
#   app/            the compiled engine and benches (out/, dist/), the production node_modules
#   gpu-modules/    webgpu (Dawn, linux-x64 only) + @tensorflow/tfjs-backend-webgpu, as AEM_BACKEND_MODULES
#   node            this machine's Node binary
#   debs/           Debian's Vulkan loader and GL dispatch libraries (the NVIDIA ICD needs libGLX)
# Run here (npm registry and Debian archive reachable), then carry .gpu/carry with the device's `run`:
#   bash .gpu/make-bench.sh && run(command="bash .gpu/bench.sh", carry=[".gpu/carry"])
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.gpu/carry
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

npm run build >/dev/null
npm run compile >/dev/null

mkdir -p "$STAGE/app/test/bench"
cp -r out dist package.json package-lock.json "$STAGE/app/"
cp test/bench/torch_step.py "$STAGE/app/test/bench/"
(cd "$STAGE/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
rm -rf "$STAGE/app/node_modules/@vscode-elements" "$STAGE/app/node_modules/chart.js" "$STAGE/app/out/test/vscode" "$STAGE/app/out/test/webview"

CORE=$(node -p "require('./node_modules/@tensorflow/tfjs-core/package.json').version")
mkdir -p "$STAGE/gpu-modules"
npm install --prefix "$STAGE/gpu-modules" --no-save --no-audit --no-fund --loglevel=error webgpu@0.6.2 "@tensorflow/tfjs-backend-webgpu@$CORE" >&2
find "$STAGE/gpu-modules/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +

cp "$(command -v node)" "$STAGE/node"

mkdir -p "$STAGE/debs"
(cd "$STAGE/debs" && apt-get download -qq libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 >&2)

mkdir -p "$CARRY"
tar -C "$STAGE" -cf - app gpu-modules node debs | xz -T0 -6 > "$CARRY/bench.tar.xz"
git rev-parse HEAD > "$CARRY/commit"
echo "built $CARRY/bench.tar.xz ($(du -m "$CARRY/bench.tar.xz" | cut -f1) MiB, commit $(cut -c1-7 "$CARRY/commit"))"
