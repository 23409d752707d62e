#!/usr/bin/env bash
# Runs the product: starts the reference server (Acme demo site) and, when a display is
# available, the nextAuth desktop app. Stops the server again on exit.
#
# Environment:
#   NEXTAUTH_LISTEN    server address (default 127.0.0.1:8080)
#   NEXTAUTH_DATA_DIR  server data directory (default ./data)
#   NEXTAUTH_RUN_BUILD_ONLY  build, then stop (tests)
# Nothing is rebuilt when nothing changed (the UI only when its sources are newer than ui/dist).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export NEXTAUTH_LISTEN="${NEXTAUTH_LISTEN:-127.0.0.1:8080}"
export NEXTAUTH_DATA_DIR="${NEXTAUTH_DATA_DIR:-./data}"
url="http://${NEXTAUTH_LISTEN}"

echo "run: building the server, the app and the nextauth CLI (the first build takes a few minutes)"
# The app embeds the built UI (ui/dist); build it first (docs/app.md), and only when it changed:
# a new ui/dist makes cargo relink the app.
# shellcheck source=scripts/ui-build.sh
source scripts/ui-build.sh
if [[ -d ui/node_modules ]]; then
  ui_build_if_changed
else
  echo "run: ui/node_modules is missing (scripts/install-app-deps.sh): the app shows a placeholder page"
fi
cargo build --workspace --bins
if [[ -n ${NEXTAUTH_RUN_BUILD_ONLY:-} ]]; then
  exit 0 # scripts/test-build-once.sh: the build step alone
fi

server_pid=""
app_pid=""
cleanup() {
  if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    echo "run: stopping the reference server"
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

./target/debug/nextauth-server &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "${url}/healthz" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run: the reference server exited; see the messages above" >&2
    exit 1
  fi
  sleep 0.1
done
if ! curl -fsS "${url}/healthz" >/dev/null 2>&1; then
  echo "run: the reference server did not become healthy at ${url}/healthz" >&2
  exit 1
fi
echo "run: Acme demo site is up at ${url}/"

if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  echo "run: starting the nextAuth desktop app (close its window to stop everything)"
  # The binary built above; `cargo run -p nextauth-app` alone would rebuild shared
  # dependencies with a different feature set.
  ./target/debug/nextauth-app &
  app_pid=$!
  wait "$app_pid"
else
  echo "run: no display (\$DISPLAY/\$WAYLAND_DISPLAY unset), so the desktop app is not started."
  echo "run: the reference server keeps running at ${url}/ - press Ctrl-C to stop it."
  wait "$server_pid"
fi
