#!/usr/bin/env bash
# Desktop app end to end (issue 9 "Must show"), run by `make test-desktop`:
#   system libraries (apt) → debug build → the app under Xvfb with its own D-Bus session and a
#   temporary HOME/DATA_DIR → /healthz up → screenshot of the window showing the console login
#   page → the tray's stop/start through the app's IPC flags (second launches forwarded over the
#   single-instance channel): healthz goes down, then up → a busy port is reported in the window
#   (screenshot), not a crash → a plain second launch does not start a second app → --quit:
#   the app exits 0 and no process of it (WebKit helpers included) is left → a command with no
#   running instance exits 3.
# Screenshots: e2e/screenshots/desktop-*.png (gitignored). Only 127.0.0.1 is ever contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
DESKTOP=$(pwd)
ROOT=$(cd ../.. && pwd)
T0=$(date +%s)
say() { printf '[desktop-e2e %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() { say "FAIL: $*"; [ -f "${LOG:-/dev/null}" ] && { echo "--- app log (tail) ---"; tail -40 "$LOG"; }; exit 1; }

# --- 1. system packages ---------------------------------------------------------------------
bash tests/setup.sh

# --- 2. build (debug) -----------------------------------------------------------------------
say "building the desktop app (debug)"
B0=$(date +%s)
cargo build --bin claude-api-desktop
say "build took $(($(date +%s) - B0)) s"
BIN=$ROOT/target/desktop/debug/claude-api-desktop
[ -x "$BIN" ] || fail "no binary at $BIN"
[ -f "$ROOT/web/dist/index.html" ] || say "note: web/dist is not built; the window shows the 'console not built' page"

# --- 3. isolated session: Xvfb, D-Bus, HOME, DATA_DIR ----------------------------------------
TMP=$(mktemp -d /tmp/desktop-e2e.XXXXXX)
SHOTS=$ROOT/e2e/screenshots
mkdir -p "$SHOTS" "$TMP/home" "$TMP/data"
LOG=$TMP/app.log
XVFB_PID="" DBUS_PID="" APP_PID="" BUSY_PID=""
cleanup() {
  for pid in $APP_PID $BUSY_PID $DBUS_PID $XVFB_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DISPLAY_NUM=$((90 + RANDOM % 400))
Xvfb ":$DISPLAY_NUM" -screen 0 1280x900x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || fail "Xvfb did not start"
DBUS_OUT=$(dbus-daemon --session --fork --nopidfile --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p <<<"$DBUS_OUT")
DBUS_PID=$(sed -n 2p <<<"$DBUS_OUT")
export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/home/.config XDG_DATA_HOME=$TMP/home/.local/share
export XDG_CACHE_HOME=$TMP/home/.cache XDG_RUNTIME_DIR=$TMP/home/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export DATA_DIR=$TMP/data NO_BROWSER=1 RUST_LOG=info,sqlx=warn
# Marker inherited by the app and every helper it spawns: how "no process left behind" is checked.
export CLAUDE_DESKTOP_E2E_MARK=$TMP
# WebKit's sandbox needs user namespaces, which containers often lack; unrelated to what is tested.
export WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS=1
unset PORT_OVERRIDE 2>/dev/null || true

healthz() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/healthz" || true; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  fail "timed out after ${secs}s waiting for: $what"
}
is_up() { [ "$(healthz)" = 200 ]; }
is_down() { [ "$(healthz)" = 000 ]; }
title() { xdotool search --name 'Claude API Server' getwindowname 2>/dev/null | head -1; }
title_has() { title | grep -q -- "$1"; }
shot() { # shot NAME console|status-page|failure: screen → e2e/screenshots/desktop-NAME.png once that page shows
  local out=$SHOTS/desktop-$1.png colours=0 amber=0 red=0 ok=0
  for _ in $(seq 30); do # WebKit paints asynchronously: retry until the page shows (≤ 30 s)
    read -r colours amber red < <(xwd -root -silent | python3 "$DESKTOP/tests/xwd2png.py" "$out")
    # The console's login page is rich (hundreds of colours, no #d97706); the status page's
    # buttons and logo are #d97706, and a failure message on it is #b91c1c.
    case $2 in
      console) [ "$colours" -ge 200 ] && [ "$amber" -lt 200 ] && ok=1 ;;
      status-page) [ "$amber" -ge 1000 ] && [ "$red" -eq 0 ] && ok=1 ;;
      failure) [ "$amber" -ge 1000 ] && [ "$red" -ge 20 ] && ok=1 ;;
    esac
    [ "$ok" = 1 ] && break
    sleep 1
  done
  [ "$ok" = 1 ] || fail "screenshot $out does not show the $2 ($colours colours, $amber amber, $red red pixels)"
  say "screenshot $out: $2 ($colours colours, $amber amber, $red red pixels)"
}
remote() { # a second launch carrying a command; must hand over and exit 0 quickly
  timeout 20 "$BIN" "$@" >>"$TMP/remote.log" 2>&1 || fail "second launch '$*' failed (rc=$?): $(tail -3 "$TMP/remote.log")"
}
app_processes() { # pids of processes carrying our marker (the app and its WebKit helpers)
  local f pid
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}; pid=${pid%/environ}
    { tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qx "CLAUDE_DESKTOP_E2E_MARK=$TMP" && echo "$pid"
  done
  return 0
}

# --- 4. start, console, screenshot -----------------------------------------------------------
say "starting the app on port $PORT (DATA_DIR=$DATA_DIR)"
"$BIN" --port "$PORT" >"$LOG" 2>&1 &
APP_PID=$!
wait_for 60 "/healthz = 200" is_up
say "gateway healthy"
[ -f "$DATA_DIR/encryption.key" ] && ls "$DATA_DIR" | grep -q sqlite || fail "data not in DATA_DIR: $(ls -A "$DATA_DIR")"
wait_for 30 "window title showing health" title_has '(healthy)'
wait_for 15 "admin-password warning in the title" title_has 'default admin password'
say "title: $(title)"
grep -q "window navigates url=http://127.0.0.1:$PORT/" "$LOG" || fail "the window never opened the console"
shot console-login console

# --- 5. the tray's stop/start through the app's IPC ------------------------------------------
say "--gateway-stop"
remote --gateway-stop
wait_for 30 "/healthz down after --gateway-stop" is_down
wait_for 15 "title says stopped" title_has 'Gateway stopped'
kill -0 "$APP_PID" 2>/dev/null || fail "the app exited on --gateway-stop"
shot stopped status-page
say "--gateway-start"
remote --gateway-start
wait_for 60 "/healthz up after --gateway-start" is_up
wait_for 15 "title healthy again" title_has '(healthy)'

# --- 6. a busy port is reported in the window, not a crash -----------------------------------
remote --gateway-stop
wait_for 30 "/healthz down" is_down
# The interpreter itself (not a pyenv-style shim that forks), so killing $BUSY_PID frees the port.
PY=$(python3 -c 'import sys; print(sys.executable)')
"$PY" -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); open(sys.argv[2],"w").close(); time.sleep(600)' "$PORT" "$TMP/busy.ready" &
BUSY_PID=$!
wait_for 15 "another program listening on port $PORT" test -f "$TMP/busy.ready"
remote --gateway-start
wait_for 15 "title reports the busy port" title_has 'already in use'
kill -0 "$APP_PID" 2>/dev/null || fail "the app crashed on a busy port"
shot port-busy failure
kill "$BUSY_PID"; wait "$BUSY_PID" 2>/dev/null || true; BUSY_PID=""
remote --gateway-start
wait_for 60 "/healthz up once the port is free" is_up

# --- 7. single instance: a plain second launch only focuses the first -------------------------
remote
sleep 1
n=0
for p in $(app_processes); do [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$BIN" ] && n=$((n + 1)); done
[ "$n" = 1 ] || fail "expected one app process after a second launch, found $n"
grep -q 'command from a second launch command=Show' "$LOG" || fail "the first instance did not receive the second launch"

# --- 8. quit: clean exit, nothing left -------------------------------------------------------
say "--quit"
remote --quit
rc=0
for _ in $(seq 150); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.2; done
kill -0 "$APP_PID" 2>/dev/null && fail "the app did not exit within 30 s of --quit"
wait "$APP_PID" || rc=$?
APP_PID=""
[ "$rc" = 0 ] || fail "the app exited with status $rc"
grep -q "shutdown complete" "$LOG" || fail "the gateway did not shut down gracefully"
is_down || fail "/healthz still answers after quit"
sleep 1
left=$(app_processes)
[ -z "$left" ] || fail "processes left behind: $(for p in $left; do tr '\0' ' ' </proc/$p/cmdline; echo; done)"
# A command with no instance to receive it says so (exit 3) instead of starting an app.
rc=0; timeout 30 "$BIN" --gateway-stop >"$TMP/orphan.log" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "--gateway-stop without a running instance: exit $rc, expected 3"
grep -q "no running instance" "$TMP/orphan.log" || fail "no message for a command without an instance"
[ -z "$(app_processes)" ] || fail "a command without an instance left a process behind"
say "PASS (app exited 0, gateway shut down gracefully, no process left)"
say "total $(($(date +%s) - T0)) s"
