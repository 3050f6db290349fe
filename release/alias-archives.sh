#!/usr/bin/env bash
# Copies dist's six server archives (named by Rust target triple) to the names the original project
# used, claude-server-<os>-<arch>.tar.gz (.zip on Windows), each with a .sha256 in `sha256sum`
# format. Run by .github/workflows/release-aliases.yml on a release; tested by
# release/tests/test_release_config.py against the archive names `dist plan` reports.
#   release/alias-archives.sh IN_DIR OUT_DIR
# Fails when an archive is missing, so a release never ships with a hole in the list.
set -euo pipefail
in=${1:?usage: alias-archives.sh IN_DIR OUT_DIR}
out=${2:?usage: alias-archives.sh IN_DIR OUT_DIR}

# dist target (dist-workspace.toml `targets`) → the original's <os>-<arch> and archive extension
ALIASES=(
  "x86_64-unknown-linux-musl linux-amd64 .tar.gz"
  "aarch64-unknown-linux-musl linux-arm64 .tar.gz"
  "x86_64-apple-darwin darwin-amd64 .tar.gz"
  "aarch64-apple-darwin darwin-arm64 .tar.gz"
  "x86_64-pc-windows-msvc windows-amd64 .zip"
  "aarch64-pc-windows-msvc windows-arm64 .zip"
)

mkdir -p "$out"
missing=0
for entry in "${ALIASES[@]}"; do
  read -r triple platform ext <<<"$entry"
  src="$in/claude-server-$triple$ext"
  name="claude-server-$platform$ext"
  if [ ! -f "$src" ]; then
    echo "alias-archives: missing $src" >&2
    missing=1
    continue
  fi
  cp "$src" "$out/$name"
  (cd "$out" && sha256sum "$name" >"$name.sha256")
  echo "$name <- claude-server-$triple$ext"
done
exit "$missing"
