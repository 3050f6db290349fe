#!/usr/bin/env bash
# build.sh — build claude-api release artifacts (same interface as the original project).
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'USAGE'
Usage: ./build.sh [TARGET] [OPTIONS]

Targets:
  (none)     build for the current platform (server + desktop)
  server     build the claude-server binary
  desktop    build the desktop app (Tauri)
  all        build every server platform and the desktop apps
  clean      remove build outputs (dist/ and cargo's target/)

Options:
  -v VERSION    version to embed (e.g. ./build.sh server -v v1.2.0)
  -p OS/ARCH    platform to build for (e.g. -p linux/amd64); OS: linux darwin windows, ARCH: amd64 arm64
  --no-cache    rebuild the console and clean cargo's release outputs first
  --verbose     print every command
  -h, --help    show this help

Artifacts: dist/server/claude-server-<os>-<arch>.tar.gz (.zip on Windows),
           dist/desktop/Claude-API-Server-<platform>.zip (or .deb on Linux)
USAGE
}

TARGET="" VERSION="" PLATFORMS=() NO_CACHE=0 VERBOSE=0
while [ $# -gt 0 ]; do
  case "$1" in
    server|desktop|all|clean) TARGET="$1" ;;
    -v) shift; VERSION="${1:?-v needs a version}" ;;
    -p) shift; PLATFORMS+=("${1:?-p needs OS/ARCH}") ;;
    --no-cache) NO_CACHE=1 ;;
    --verbose) VERBOSE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ "$VERBOSE" = 1 ] && set -x

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
export CLAUDE_API_VERSION="$VERSION"

host_platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; MINGW*|MSYS*|CYGWIN*) os=windows ;; *) os=unknown ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=unknown ;; esac
  echo "$os/$arch"
}

rust_triple() {
  case "$1" in
    linux/amd64) echo x86_64-unknown-linux-gnu ;;
    linux/arm64) echo aarch64-unknown-linux-gnu ;;
    darwin/amd64) echo x86_64-apple-darwin ;;
    darwin/arm64) echo aarch64-apple-darwin ;;
    windows/amd64) echo x86_64-pc-windows-gnu ;;
    windows/arm64) echo aarch64-pc-windows-gnullvm ;;
    *) return 1 ;;
  esac
}

build_console() {
  if [ "$NO_CACHE" = 1 ] || [ ! -f web/dist/index.html ]; then
    (cd web && npm ci --no-audit --no-fund && npm run build)
  fi
}

SKIPPED=()
build_server() {
  local plat="$1" triple os arch bin ext out
  triple=$(rust_triple "$plat") || { echo "build.sh: unknown platform '$plat'" >&2; exit 2; }
  os=${plat%/*}; arch=${plat#*/}
  if [ "$plat" != "$(host_platform)" ]; then
    if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
      echo "build.sh: SKIPPED $plat — Rust target $triple is not installed (rustup target add $triple)"
      SKIPPED+=("$plat"); return 0
    fi
    if [ "$os" = linux ] && ! command -v "${triple%%-*}-linux-gnu-gcc" >/dev/null; then
      echo "build.sh: SKIPPED $plat — no linker ${triple%%-*}-linux-gnu-gcc for $triple"
      SKIPPED+=("$plat"); return 0
    fi
    if [ "$os" != linux ]; then
      echo "build.sh: SKIPPED $plat — cross-linking for $os is not set up on this machine"
      SKIPPED+=("$plat"); return 0
    fi
  fi
  build_console
  [ "$NO_CACHE" = 1 ] && cargo clean --release -p gateway
  local target_args=()
  [ "$plat" != "$(host_platform)" ] && target_args=(--target "$triple")
  cargo build --release -p gateway --bin claude-server "${target_args[@]}"
  if [ "$plat" = "$(host_platform)" ]; then bin=target/release; else bin=target/$triple/release; fi
  ext=""; [ "$os" = windows ] && ext=.exe
  mkdir -p dist/server
  local stage; stage=$(mktemp -d)
  cp "$bin/claude-server$ext" "$stage/"
  cp config.example.yaml README.md LICENSE "$stage/" 2>/dev/null || true
  out="dist/server/claude-server-$os-$arch"
  if [ "$os" = windows ]; then
    (cd "$stage" && zip -qr - .) > "$out.zip"; echo "built $out.zip"
  else
    tar -C "$stage" -czf "$out.tar.gz" .; echo "built $out.tar.gz"
  fi
  rm -rf "$stage"
}

build_desktop() {
  if [ ! -f crates/desktop/Cargo.toml ]; then
    echo "build.sh: SKIPPED desktop — the desktop app (crates/desktop) is not part of this version yet"
    SKIPPED+=(desktop); return 0
  fi
  build_console
  bash crates/desktop/build-desktop.sh
}

case "$TARGET" in
  clean) rm -rf dist; cargo clean; echo "cleaned"; exit 0 ;;
  server)
    [ ${#PLATFORMS[@]} -eq 0 ] && PLATFORMS=("$(host_platform)")
    for p in "${PLATFORMS[@]}"; do build_server "$p"; done ;;
  desktop) build_desktop ;;
  all)
    for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do build_server "$p"; done
    build_desktop ;;
  "")
    [ ${#PLATFORMS[@]} -eq 0 ] && PLATFORMS=("$(host_platform)")
    for p in "${PLATFORMS[@]}"; do build_server "$p"; done
    build_desktop ;;
esac
echo "version: $VERSION"
[ ${#SKIPPED[@]} -gt 0 ] && echo "skipped: ${SKIPPED[*]}"
exit 0
