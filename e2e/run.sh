#!/usr/bin/env bash
# Runs the e2e suite (pytest; extra arguments are passed on) against the debug binaries in
# target/debug, inside a network namespace that has only loopback (client doc §5.3): nothing the
# clients under test do can leave the machine, and /etc/resolv.conf points at the suite's own
# loopback DNS logger (e2e/netguard.py) so every attempted lookup is recorded.
# E2E_NO_NETNS=1 runs without the namespace (for machines where unshare is not permitted).
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
cd "$E2E"
export PYTHONDONTWRITEBYTECODE=1
mkdir -p screenshots

if [ "${E2E_NO_NETNS:-}" = 1 ]; then
  echo "e2e: WARNING: running without network isolation (E2E_NO_NETNS=1)"
  exec .venv/bin/python -m pytest "$@"
fi

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
RESOLV="$(mktemp)"
echo "nameserver 127.0.0.1" > "$RESOLV"
trap 'rm -f "$RESOLV"' EXIT
# shellcheck disable=SC2016
$SUDO unshare --net --mount --propagation private -- bash -c '
  set -euo pipefail
  ip link set lo up
  mount --bind "$1" /etc/resolv.conf
  shift
  export E2E_NETNS=1
  exec .venv/bin/python -m pytest "$@"
' e2e-netns "$RESOLV" "$@"
