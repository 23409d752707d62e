#!/usr/bin/env bash
# Screenshots of the Acme demo site in light and dark mode, with headless Chromium.
#
#   scripts/screenshots-demo.sh [output-dir]     (default: docs/screenshots)
#
# Builds and starts the server on 127.0.0.1:18080 with a fresh data directory, saves
# demo-<page>-<light|dark>.png (1280x900) and demo-login-mobile.png (390x844), then stops it.
# Needs chromium (apt-get install -y chromium) and curl.
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-docs/screenshots}"
listen="127.0.0.1:18080"
data="$(mktemp -d /tmp/acme-shots.XXXXXX)"
profile="$(mktemp -d /tmp/acme-chromium.XXXXXX)"
mkdir -p "$out"

cargo build -q -p nextauth-server
# Run a copy: a shared CARGO_TARGET_DIR may get another tree's build of the binary meanwhile.
bin="$data/nextauth-server"
cp "${CARGO_TARGET_DIR:-target}/debug/nextauth-server" "$bin"
"$bin" --listen "$listen" --data-dir "$data/db" >"$data/server.log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$data" "$profile"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://$listen/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://$listen/healthz" >/dev/null

shot() { # shot <file> <path> <size> [extra chromium flags...]
  local file="$1" path="$2" size="$3"
  shift 3
  chromium --headless=new --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --virtual-time-budget=1500 --run-all-compositor-stages-before-draw \
    --window-size="$size" --screenshot="$out/$file" "$@" "http://$listen$path" \
    >/dev/null 2>&1
  echo "saved $out/$file"
}

for page in "home:/" "signup:/signup" "signup-qr:/signup?name=alice" "login:/login"; do
  name="${page%%:*}"
  path="${page#*:}"
  shot "demo-$name-light.png" "$path" 1280,900 --blink-settings=preferredColorScheme=1
  shot "demo-$name-dark.png" "$path" 1280,900 --force-dark-mode \
    --blink-settings=preferredColorScheme=0
done
shot "demo-login-mobile.png" "/login" 390,844 --blink-settings=preferredColorScheme=1
