#!/usr/bin/env bash
# Installs what the benchmark suite needs beyond cargo: wrk and valgrind (Debian packages) and
# matplotlib in bench/.venv (PyPI). Idempotent; `make bench` and `make bench-smoke` call it.
# `--smoke`: only what `make bench-smoke` needs (valgrind).
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
if [ "${1:-}" = --smoke ]; then
  if ! command -v valgrind >/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind
  fi
  exit 0
fi
command -v wrk >/dev/null || missing+=(wrk)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v taskset >/dev/null || missing+=(util-linux)
command -v ss >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import matplotlib' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q matplotlib
fi
