#!/usr/bin/env bash
# build.sh — build claude-api release artifacts locally (same interface as the original project).
# Every platform whose Rust target AND linker are installed is built (cross targets get their linker
# passed to cargo); the others are reported SKIPPED with what to install. All six platforms and the
# desktop bundles come from the release workflow (.github/workflows/release.yml, README "Releasing").
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

A platform other than this machine's is built when its Rust target is installed
(rustup target add ...) and its linker is on PATH (or set in CARGO_TARGET_<TRIPLE>_LINKER);
otherwise it is reported SKIPPED with what to install. Every platform, and the desktop
bundles, are built by the release workflow on a version tag (.github/workflows/release.yml).
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
# The profile of the release workflow (`dist`, Cargo.toml [profile.dist]): the same binary as a release.
PROFILE=dist
TARGET_DIR=${CARGO_TARGET_DIR:-target}
RELEASE_HINT="all six platforms and the desktop bundles: push a version tag (git tag v1.2.0 && git push --tags); the release workflow .github/workflows/release.yml builds them on native runners (README \"Releasing\")"

host_platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; MINGW*|MSYS*|CYGWIN*) os=windows ;; *) os=unknown ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=unknown ;; esac
  echo "$os/$arch"
}
HOST=$(host_platform)
HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')

# OS/ARCH → Rust target. This machine's platform builds for rustc's own host triple; the others for
# the triple a cross toolchain on Linux (or on that OS) links.
rust_triple() {
  if [ "$1" = "$HOST" ]; then echo "$HOST_TRIPLE"; return; fi
  case "$1" in
    linux/amd64) echo x86_64-unknown-linux-gnu ;;
    linux/arm64) echo aarch64-unknown-linux-gnu ;;
    darwin/amd64) echo x86_64-apple-darwin ;;
    darwin/arm64) echo aarch64-apple-darwin ;;
    windows/amd64) case "$HOST_TRIPLE" in *-msvc) echo x86_64-pc-windows-msvc ;; *) echo x86_64-pc-windows-gnu ;; esac ;;
    windows/arm64) case "$HOST_TRIPLE" in *-msvc) echo aarch64-pc-windows-msvc ;; *) echo aarch64-pc-windows-gnullvm ;; esac ;;
    *) return 1 ;;
  esac
}

# The cross toolchain of a target and how to get it: "LINKER|CXX|HINT". LINKER is also the C compiler
# (ring, jemalloc, SQLite); CXX the C++ compiler (the tokenizer's esaxx). Empty = the host's own
# toolchain builds it (the other macOS architecture on a Mac, MSVC's other architecture on Windows).
cross_toolchain() {
  local triple="$1" host_os=${HOST%/*}
  case "$triple" in
    *-apple-darwin) [ "$host_os" = darwin ] && { echo "||"; return; } ;;
    *-pc-windows-msvc) echo "||"; return ;;
  esac
  case "$triple" in
    x86_64-unknown-linux-gnu) echo "x86_64-linux-gnu-gcc|x86_64-linux-gnu-g++|apt-get install gcc-x86-64-linux-gnu g++-x86-64-linux-gnu" ;;
    aarch64-unknown-linux-gnu) echo "aarch64-linux-gnu-gcc|aarch64-linux-gnu-g++|apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu" ;;
    x86_64-pc-windows-gnu) echo "x86_64-w64-mingw32-gcc|x86_64-w64-mingw32-g++|apt-get install gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64" ;;
    aarch64-pc-windows-gnullvm) echo "aarch64-w64-mingw32-clang|aarch64-w64-mingw32-clang++|install llvm-mingw and put its bin/ on PATH" ;;
    x86_64-apple-darwin) echo "o64-clang|o64-clang++|install osxcross with a macOS SDK (Apple's SDK is not redistributable)" ;;
    aarch64-apple-darwin) echo "oa64-clang|oa64-clang++|install osxcross with a macOS SDK (Apple's SDK is not redistributable)" ;;
  esac
}

build_console() {
  if [ "$NO_CACHE" = 1 ] || [ ! -f web/dist/index.html ]; then
    (cd web && npm ci --no-audit --no-fund && npm run build)
  fi
}

SKIPPED=()
skip() { echo "build.sh: SKIPPED $1 — $2"; SKIPPED+=("$1"); }

build_server() {
  local plat="$1" triple os arch ext out upper linker cxx hint
  triple=$(rust_triple "$plat") || { echo "build.sh: unknown platform '$plat'" >&2; exit 2; }
  os=${plat%/*}; arch=${plat#*/}
  upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
  local cargo_env=()
  if [ "$triple" != "$HOST_TRIPLE" ]; then
    if [ ! -d "$(rustc --print sysroot)/lib/rustlib/$triple/lib" ]; then
      skip "$plat" "Rust target $triple is not installed (rustup target add $triple)"; return 0
    fi
    IFS='|' read -r linker cxx hint <<<"$(cross_toolchain "$triple")"
    local var="CARGO_TARGET_${upper}_LINKER"
    [ -n "${!var:-}" ] && linker=${!var}
    if [ -n "$linker" ]; then
      local cc_var="CC_${triple//-/_}" cxx_var="CXX_${triple//-/_}" cc tool
      cc=${!cc_var:-$linker}; cxx=${!cxx_var:-$cxx}
      for tool in "$linker" "$cc" "$cxx"; do
        if ! command -v "$tool" >/dev/null; then
          skip "$plat" "no cross toolchain for $triple: '$tool' not found ($hint; or set $var)"; return 0
        fi
      done
      cargo_env=("$var=$linker" "$cc_var=$cc" "$cxx_var=$cxx")
    fi
  fi
  build_console
  [ "$NO_CACHE" = 1 ] && cargo clean --profile "$PROFILE" --target "$triple" -p gateway
  echo "build.sh: building $plat ($triple${cargo_env[*]:+, ${cargo_env[*]}})"
  env "${cargo_env[@]}" cargo build --profile "$PROFILE" --target "$triple" -p gateway --bin claude-server
  ext=""; [ "$os" = windows ] && ext=.exe
  mkdir -p dist/server
  local stage; stage=$(mktemp -d)
  cp "$TARGET_DIR/$triple/$PROFILE/claude-server$ext" "$stage/"
  cp config.example.yaml README.md LICENSE "$stage/"
  out="dist/server/claude-server-$os-$arch"
  if [ "$os" = windows ]; then
    rm -f "$out.zip"; (cd "$stage" && zip -qr - .) > "$out.zip"; out="$out.zip"
  else
    tar -C "$stage" -czf "$out.tar.gz" .; out="$out.tar.gz"
  fi
  rm -rf "$stage"
  (cd dist/server && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
  echo "built $out (+ .sha256)"
}

build_desktop() {
  if [ ! -f crates/desktop/Cargo.toml ]; then
    skip desktop "the desktop app (crates/desktop) is not part of this version yet"; return 0
  fi
  build_console
  bash crates/desktop/build-desktop.sh
}

case "$TARGET" in
  clean) rm -rf dist; cargo clean; echo "cleaned"; exit 0 ;;
  server)
    [ ${#PLATFORMS[@]} -eq 0 ] && PLATFORMS=("$HOST")
    for p in "${PLATFORMS[@]}"; do build_server "$p"; done ;;
  desktop) build_desktop ;;
  all)
    for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do build_server "$p"; done
    build_desktop ;;
  "")
    [ ${#PLATFORMS[@]} -eq 0 ] && PLATFORMS=("$HOST")
    for p in "${PLATFORMS[@]}"; do build_server "$p"; done
    build_desktop ;;
esac
echo "version: $VERSION"
if [ ${#SKIPPED[@]} -gt 0 ]; then
  echo "skipped: ${SKIPPED[*]}"
  echo "build.sh: $RELEASE_HINT"
fi
exit 0
