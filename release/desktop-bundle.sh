#!/usr/bin/env bash
# Desktop bundles for a release, built by Tauri's own bundler (the `tauri` CLI from npm, pinned) on
# the platform itself; run by .github/workflows/release-desktop.yml on native runners:
#   macOS   (both Rust targets installed): Claude-API-Server-macOS.zip  — universal "Claude API Server.app"
#   Windows:                               Claude-API-Server-Windows.zip (the .exe) and
#                                          Claude-API-Server-Windows-setup.exe (NSIS installer)
#   Linux:                                 Claude-API-Server-linux-<arch>.deb
# into dist/desktop/. Needs the console built (web/dist) and, on Linux, the GTK/WebKitGTK -dev
# packages (crates/desktop/tests/setup.sh). APP_VERSION (e.g. 0.1.0) overrides tauri.conf.json's.
# Local desktop builds without the bundler: ./build.sh desktop (crates/desktop/build-desktop.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DESKTOP=$ROOT/crates/desktop
OUT=$ROOT/dist/desktop
TAURI_CLI_VERSION=2.12.5 # the tauri crate's version (crates/desktop/Cargo.toml)
TARGET_DIR=$ROOT/target/desktop # crates/desktop/.cargo/config.toml

[ -f "$ROOT/web/dist/index.html" ] || { echo "desktop-bundle: build the console first (make web)" >&2; exit 1; }
case "$(uname -m)" in x86_64|amd64) ARCH=amd64 ;; aarch64|arm64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac

# tauri.release.conf.json turns the bundler on; the version comes from the release tag when given.
# The merged file sits next to tauri.conf.json (a relative path: Tauri's CLI is a native program that
# would not understand a Git Bash /tmp path on Windows).
GENERATED=tauri.release.generated.json
node -e '
  const fs = require("fs");
  const conf = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  if (process.argv[2]) conf.version = process.argv[2];
  fs.writeFileSync(process.argv[3], JSON.stringify(conf, null, 2));
' "$DESKTOP/tauri.release.conf.json" "${APP_VERSION:-}" "$DESKTOP/$GENERATED"
trap 'rm -f "$DESKTOP/$GENERATED"' EXIT

tauri() { (cd "$DESKTOP" && npx --yes "@tauri-apps/cli@$TAURI_CLI_VERSION" build --ci --config "$GENERATED" "$@"); }
mkdir -p "$OUT"
case "$(uname -s)" in
  Darwin)
    tauri --target universal-apple-darwin --bundles app
    app=$(find "$TARGET_DIR/universal-apple-darwin/release/bundle/macos" -maxdepth 1 -name '*.app' | head -n1)
    [ -n "$app" ] || { echo "desktop-bundle: no .app produced" >&2; exit 1; }
    lipo -archs "$app/Contents/MacOS/claude-api-desktop" # prints "x86_64 arm64": proof of universal
    rm -f "$OUT/Claude-API-Server-macOS.zip"
    (cd "$(dirname "$app")" && ditto -c -k --keepParent "$(basename "$app")" "$OUT/Claude-API-Server-macOS.zip")
    echo "built dist/desktop/Claude-API-Server-macOS.zip" ;;
  MINGW*|MSYS*|CYGWIN*)
    tauri --bundles nsis
    setup=$(find "$TARGET_DIR/release/bundle/nsis" -maxdepth 1 -name '*-setup.exe' | head -n1)
    [ -n "$setup" ] || { echo "desktop-bundle: no NSIS installer produced" >&2; exit 1; }
    cp "$setup" "$OUT/Claude-API-Server-Windows-setup.exe"
    stage=$(mktemp -d)
    cp "$TARGET_DIR/release/claude-api-desktop.exe" "$stage/"
    rm -f "$OUT/Claude-API-Server-Windows.zip"
    (cd "$stage" && 7z a -tzip "$OUT/Claude-API-Server-Windows.zip" claude-api-desktop.exe >/dev/null)
    rm -rf "$stage"
    echo "built dist/desktop/Claude-API-Server-Windows.zip and Claude-API-Server-Windows-setup.exe" ;;
  Linux)
    tauri --bundles deb
    deb=$(find "$TARGET_DIR/release/bundle/deb" -maxdepth 1 -name '*.deb' | head -n1)
    [ -n "$deb" ] || { echo "desktop-bundle: no .deb produced" >&2; exit 1; }
    cp "$deb" "$OUT/Claude-API-Server-linux-$ARCH.deb"
    dpkg-deb --info "$OUT/Claude-API-Server-linux-$ARCH.deb" | grep -E 'Package|Version|Depends'
    echo "built dist/desktop/Claude-API-Server-linux-$ARCH.deb" ;;
  *) echo "desktop-bundle: unsupported host $(uname -s)" >&2; exit 1 ;;
esac
