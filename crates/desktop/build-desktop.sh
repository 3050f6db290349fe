#!/usr/bin/env bash
# Builds the desktop app for the current platform; called by `./build.sh desktop` (which exports
# CLAUDE_API_VERSION and builds the console into web/dist first). Artifacts in dist/desktop/:
#   Linux:   claude-api-desktop-linux-<arch> (the binary) and Claude-API-Server-linux-<arch>.deb
#   macOS:   Claude-API-Server-macOS.zip    (Claude API Server.app)
#   Windows: Claude-API-Server-Windows.zip  (claude-api-desktop.exe)
# No bundler that downloads tools at build time: the .deb is assembled with dpkg-deb, the macOS
# .app by hand, and AppImage is not produced. Other platforms than the host are reported SKIPPED
# (a Tauri app links the platform's own webview, so it is built on that platform).
# DESKTOP_PROFILE=debug packages a debug build (quick check of the packaging itself).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
PROFILE=${DESKTOP_PROFILE:-release}
VERSION=${CLAUDE_API_VERSION:-dev}
OUT=$ROOT/dist/desktop
BIN_NAME=claude-api-desktop

case "$(uname -m)" in x86_64|amd64) ARCH=amd64 ;; aarch64|arm64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
case "$(uname -s)" in Linux) OS=linux ;; Darwin) OS=darwin ;; MINGW*|MSYS*|CYGWIN*) OS=windows ;; *) OS=unknown ;; esac

skip() { echo "build-desktop: SKIPPED $1"; exit 0; }

cargo_build() {
  # cwd = this folder, so .cargo/config.toml puts the build in target/desktop/.
  if [ "$PROFILE" = release ]; then cargo build --release --bin "$BIN_NAME"; else cargo build --bin "$BIN_NAME"; fi
}
built() { echo "$ROOT/target/desktop/$PROFILE/$BIN_NAME$1"; }

# Debian versions must start with a digit: v1.2.0 → 1.2.0, a git hash → 0.0.0+g<hash>.
deb_version() {
  local v=${VERSION#v}
  [[ $v =~ ^[0-9] ]] || v="0.0.0+g$v"
  echo "${v//[^A-Za-z0-9.+~-]/.}"
}

build_linux() {
  if ! pkg-config --exists webkit2gtk-4.1 gtk+-3.0 ayatana-appindicator3-0.1 2>/dev/null; then
    skip "desktop linux/$ARCH — missing system libraries; install them with:
  apt-get install libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev pkg-config"
  fi
  cargo_build
  mkdir -p "$OUT"
  install -m 0755 "$(built '')" "$OUT/$BIN_NAME-linux-$ARCH"
  echo "built dist/desktop/$BIN_NAME-linux-$ARCH"
  command -v dpkg-deb >/dev/null || skip "desktop .deb — dpkg-deb not found (the binary above is built)"
  local stage deb_arch
  deb_arch=$(dpkg --print-architecture 2>/dev/null || echo "$ARCH")
  stage=$(mktemp -d)
  chmod 0755 "$stage"
  trap 'rm -rf "$stage"' RETURN
  install -D -m 0755 "$(built '')" "$stage/usr/bin/$BIN_NAME"
  for s in 32 128 256; do
    install -D -m 0644 "icons/${s}x${s}.png" "$stage/usr/share/icons/hicolor/${s}x${s}/apps/$BIN_NAME.png"
  done
  install -D -m 0644 packaging/claude-api-desktop.desktop "$stage/usr/share/applications/$BIN_NAME.desktop"
  mkdir -p "$stage/DEBIAN"
  sed -e "s/@VERSION@/$(deb_version)/" -e "s/@ARCH@/$deb_arch/" \
      -e "s/@SIZE@/$(du -sk "$stage/usr" | cut -f1)/" packaging/control.in >"$stage/DEBIAN/control"
  dpkg-deb --root-owner-group --build "$stage" "$OUT/Claude-API-Server-linux-$ARCH.deb" >/dev/null
  echo "built dist/desktop/Claude-API-Server-linux-$ARCH.deb"
}

build_macos() {
  command -v xcrun >/dev/null || skip "desktop macOS — Xcode command line tools not found"
  cargo_build
  local app stage
  stage=$(mktemp -d); app="$stage/Claude API Server.app"
  install -D -m 0755 "$(built '')" "$app/Contents/MacOS/$BIN_NAME"
  install -D -m 0644 icons/icon.png "$app/Contents/Resources/icon.png"
  sed -e "s/@VERSION@/${VERSION#v}/" packaging/Info.plist.in >"$app/Contents/Info.plist"
  mkdir -p "$OUT"
  (cd "$stage" && ditto -c -k --keepParent "Claude API Server.app" "$OUT/Claude-API-Server-macOS.zip")
  rm -rf "$stage"
  echo "built dist/desktop/Claude-API-Server-macOS.zip"
}

build_windows() {
  command -v cargo >/dev/null || skip "desktop Windows — no Rust toolchain"
  cargo_build
  mkdir -p "$OUT"
  local stage; stage=$(mktemp -d)
  cp "$(built .exe)" "$stage/"
  (cd "$stage" && powershell -NoProfile -Command "Compress-Archive -Path * -DestinationPath '$OUT/Claude-API-Server-Windows.zip' -Force")
  rm -rf "$stage"
  echo "built dist/desktop/Claude-API-Server-Windows.zip"
}

case "$OS" in
  linux) build_linux
         echo "build-desktop: SKIPPED desktop macOS and Windows — build them on those platforms (see crates/desktop/README.md)" ;;
  darwin) build_macos
          echo "build-desktop: SKIPPED desktop Linux and Windows — build them on those platforms" ;;
  windows) build_windows
           echo "build-desktop: SKIPPED desktop Linux and macOS — build them on those platforms" ;;
  *) skip "desktop — unsupported host $(uname -s)" ;;
esac
