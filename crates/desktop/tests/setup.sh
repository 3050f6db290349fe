#!/usr/bin/env bash
# System packages the desktop app's build and its e2e test need (Debian/Ubuntu, apt). Idempotent:
# installs only what is missing. Build: the GTK/WebKitGTK/appindicator -dev packages. Test: Xvfb,
# xwd (x11-apps), xdotool, a D-Bus daemon (the single-instance channel) and curl.
set -euo pipefail
PKGS=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev
      pkg-config xvfb x11-apps x11-utils xdotool dbus curl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "desktop setup: need ${missing[*]} but apt-get is not available" >&2; exit 1; }
echo "desktop setup: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
