#!/usr/bin/env bash
# WebGPU for the tests on a machine without a GPU: Mesa's software Vulkan driver (lavapipe) and the
# optional WebGPU packages, both outside the product's own dependencies.
#   - lavapipe: mesa-vulkan-drivers 25 from Debian bookworm-backports (bookworm's own Mesa 22 gives Dawn
#     no adapter), unpacked into the cache with dpkg -x, with an ICD file whose library_path is absolute;
#     its runtime libraries (the Vulkan loader, LLVM 15, ...) come from the machine's Debian archive.
#   - `webgpu` (Dawn) and `@tensorflow/tfjs-backend-webgpu` installed with npm into the cache, found by
#     the engine through AEM_BACKEND_MODULES, so that `npm ci` never depends on them.
# Usage: eval "$(bash .ci/webgpu.sh [CACHE_DIR])"   (prints the variables to export; logs go to stderr)
# Idempotent: a second call reuses the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${1:-${AEM_WEBGPU_CACHE:-$HOME/.cache/aem-studio-webgpu}}
mkdir -p "$CACHE"
LVP_LIB="$CACHE/mesa/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if [ ! -f "$LVP_LIB" ]; then
  if ! apt-cache policy mesa-vulkan-drivers 2>/dev/null | grep -q bpo12; then
    # bookworm-backports from the archive the machine already uses
    archive=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$archive" ] || archive=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    if [ -z "$archive" ]; then echo "webgpu.sh: no Debian archive in the apt sources" >&2; exit 1; fi
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$archive" |
      $SUDO tee /etc/apt/sources.list.d/aem-bookworm-backports.sources >/dev/null
    $SUDO apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libvulkan1 libllvm15 libdrm-amdgpu1 libelf1 \
    libwayland-client0 libx11-xcb1 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 \
    libxcb-xfixes0 libxshmfence1 >&2
  rm -rf "$CACHE/deb" && mkdir -p "$CACHE/deb"
  (cd "$CACHE/deb" && apt-get download -qq mesa-vulkan-drivers/bookworm-backports >&2)
  dpkg -x "$CACHE"/deb/mesa-vulkan-drivers_*.deb "$CACHE/mesa"
fi
printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.4.305" } }\n' "$LVP_LIB" > "$CACHE/lvp_icd.json"
mkdir -p "$CACHE/xdg" && chmod 700 "$CACHE/xdg"

# The versions the extension's Set Up GPU Backend installs; tfjs-backend-webgpu must match the engine's tfjs-core.
CORE=$(node -p "require('./node_modules/@tensorflow/tfjs-core/package.json').version" 2>/dev/null || node -p "require('./package-lock.json').packages['node_modules/@tensorflow/tfjs-core'].version")
MODULES="$CACHE/npm/node_modules"
if [ ! -f "$MODULES/webgpu/package.json" ] || [ "$(node -p "require('$MODULES/@tensorflow/tfjs-backend-webgpu/package.json').version" 2>/dev/null)" != "$CORE" ]; then
  npm install --prefix "$CACHE/npm" --no-save --no-audit --no-fund --loglevel=error webgpu@0.6.2 "@tensorflow/tfjs-backend-webgpu@$CORE" >&2
fi

echo "export VK_ICD_FILENAMES=$CACHE/lvp_icd.json XDG_RUNTIME_DIR=$CACHE/xdg AEM_BACKEND_MODULES=$MODULES"
