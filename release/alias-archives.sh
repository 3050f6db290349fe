#!/usr/bin/env bash
# The six server archives under the original project's names and layout: dist names its archives by
# Rust target triple with one top folder in each tarball (claude-server-<triple>/); the original's
# are claude-server-<os>-<arch>.tar.gz (.zip on Windows) holding the files at the top, as
# ./build.sh makes them (so `tar -C /opt/claude-api -xzf claude-server-linux-amd64.tar.gz` works as
# README "Deployment" says). Each gets a .sha256 in `sha256sum` format. Run by
# .github/workflows/release-aliases.yml on a release; tested by release/tests/test_release_config.py
# against the archive names `dist plan` reports.
#   release/alias-archives.sh IN_DIR OUT_DIR
# Fails when an archive is missing or not laid out as expected, so a release never ships with a hole.
set -euo pipefail
in=${1:?usage: alias-archives.sh IN_DIR OUT_DIR}
out=${2:?usage: alias-archives.sh IN_DIR OUT_DIR}

# dist target (dist-workspace.toml `targets`) → the original's <os>-<arch> and archive extension
ALIASES=(
  "x86_64-unknown-linux-gnu linux-amd64 .tar.gz"
  "aarch64-unknown-linux-gnu linux-arm64 .tar.gz"
  "x86_64-apple-darwin darwin-amd64 .tar.gz"
  "aarch64-apple-darwin darwin-arm64 .tar.gz"
  "x86_64-pc-windows-msvc windows-amd64 .zip"
  "aarch64-pc-windows-msvc windows-arm64 .zip"
)

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for entry in "${ALIASES[@]}"; do
  read -r triple platform ext <<<"$entry"
  src="$in/claude-server-$triple$ext"
  name="claude-server-$platform$ext"
  if [ ! -f "$src" ]; then
    echo "alias-archives: missing $src" >&2
    failed=1
    continue
  fi
  if [ "$ext" = .zip ]; then
    cp "$src" "$out/$name" # dist's zips are already flat
  else
    mkdir "$work/$triple"
    tar -xzf "$src" -C "$work/$triple"
    top="$work/$triple/claude-server-$triple"
    if [ ! -f "$top/claude-server" ]; then
      echo "alias-archives: $src has no claude-server-$triple/claude-server" >&2
      failed=1
      continue
    fi
    tar -C "$top" -czf "$out/$name" .
  fi
  (cd "$out" && sha256sum "$name" >"$name.sha256")
  echo "$name <- claude-server-$triple$ext"
done
exit "$failed"
