#!/usr/bin/env bash
# Idempotent setup of the e2e stage (fast when everything is already in place):
#   1. Debian packages: chromium, fonts-noto-cjk (CJK screenshots), iproute2 (netns loopback)
#      — apt-get only when one is missing;
#   2. e2e/.venv with the pinned Python clients (requirements.txt);
#   3. e2e/node_modules from package-lock.json: Claude Code and Codex CLI (native binaries from the
#      npm registry's platform packages) and playwright-core (no browser download: Debian's Chromium
#      is used);
#   4. the web console build (web/dist), which the debug claude-server serves from disk.
# Each step records a hash of its inputs and is skipped when nothing changed.
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$E2E/.." && pwd)"
cd "$E2E"

sha() { cat "$@" | sha256sum | cut -d' ' -f1; }

# 1. System packages.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if ((${#need[@]})); then
  echo "e2e-setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# 2. Python clients.
want="$(sha requirements.txt)"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$want" ]; then
  echo "e2e-setup: creating e2e/.venv"
  python3 -m venv .venv
  .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt
  echo "$want" > .venv/.requirements.sha256
fi

# 3. Node clients. Claude Code 2.1.332 declares node >=22 but runs as a native binary, so the
#    EBADENGINE warning on node 20 is harmless (client doc §5.2).
want="$(sha package.json package-lock.json)"
if [ ! -x node_modules/.bin/claude ] || [ ! -x node_modules/.bin/codex ] || [ "$(cat node_modules/.lock.sha256 2>/dev/null)" != "$want" ]; then
  echo "e2e-setup: npm ci in e2e/"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.lock.sha256
fi
node_modules/.bin/claude --version >/dev/null
node_modules/.bin/codex --version >/dev/null

# 4. Console build (web/dist). Rebuilt when any input is newer than the last build.
WEB="$ROOT/web"
want="$(sha "$WEB/package.json" "$WEB/package-lock.json")"
if [ ! -d "$WEB/node_modules" ] || [ "$(cat "$WEB/node_modules/.e2e-lock.sha256" 2>/dev/null)" != "$want" ]; then
  echo "e2e-setup: npm ci in web/"
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$WEB/node_modules/.e2e-lock.sha256"
fi
stale=""
if [ ! -f "$WEB/dist/index.html" ]; then
  stale=1
else
  stale="$(find "$WEB/src" "$WEB/public" "$WEB/index.html" "$WEB/package-lock.json" "$WEB/vite.config.ts" \
            "$WEB"/tsconfig*.json -newer "$WEB/dist/index.html" -print -quit 2>/dev/null || true)"
fi
if [ -n "$stale" ]; then
  echo "e2e-setup: building the console (web/dist)"
  (cd "$WEB" && npm run build --silent)
fi
echo "e2e-setup: ready"
