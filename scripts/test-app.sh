#!/usr/bin/env bash
# Runs the desktop app's browser-level tests and closes with one line "N passed, N failed":
#   1. UI tests: the built UI in headless Chromium with Tauri's IPC mocked (ui/tests/ui.test.mjs);
#      they also refresh the screenshots in docs/screenshots.
#   2. Accessibility tests, the same way (ui/tests/a11y.test.mjs): axe-core's WCAG 2.1 A/AA rules
#      on every screen and prompt state in three colour modes, keyboard, reflow, forced colours.
#   3. End-to-end: the real debug app under Xvfb, driven through tauri-driver + WebKitWebDriver,
#      against the real reference server (ui/tests/e2e.test.mjs), axe-core included.
#   4. The journey: the demo site in Chromium and the app on one Xvfb display with openbox
#      (ui/tests/journey.test.mjs); screenshots in docs/screenshots/journey-*.png.
#   5. A second start builds nothing (scripts/test-build-once.sh).
# Builds the UI and the debug binaries first (scripts/build-app.sh); NEXTAUTH_SERVER_BIN picks
# another server binary (it needs the REST API with the QR endpoints). Installs nothing: run
# scripts/install-app-deps.sh once before.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

total_passed=0
total_failed=0
count() { # count <log>: adds the "<name>: N passed, M failed" line of a log to the totals
  local line
  line=$(grep -E '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  if [[ -z $line ]]; then
    echo "test-app: $1 has no result line; counting one failure"
    total_failed=$((total_failed + 1))
    return
  fi
  total_passed=$((total_passed + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
  total_failed=$((total_failed + $(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")))
}

if ! scripts/build-app.sh; then
  echo "test-app: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== UI tests (headless Chromium, mocked IPC)"
(cd ui && node tests/ui.test.mjs) 2>&1 | tee "$logs/ui.log"
count "$logs/ui.log"

echo "== Accessibility tests (headless Chromium, mocked IPC, axe-core)"
(cd ui && node tests/a11y.test.mjs) 2>&1 | tee "$logs/a11y.log"
count "$logs/a11y.log"

# start_xvfb <log>: a private X display (Xvfb picks a free number and writes it to fd 3); sets
# DISPLAY_NUM (empty, with one failure counted, when it did not start) and XVFB_PID.
start_xvfb() {
  exec 3<> <(:)
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$1" 2>&1 &
  XVFB_PID=$!
  read -r -t 10 DISPLAY_NUM <&3 || DISPLAY_NUM=""
  exec 3>&-
  if [[ -z $DISPLAY_NUM ]]; then
    echo "test-app: Xvfb did not start"
    total_failed=$((total_failed + 1))
  fi
}

echo "== End-to-end (real app under Xvfb, tauri-driver, real server)"
start_xvfb "$logs/xvfb.log"
if [[ -n $DISPLAY_NUM ]]; then
  # With a Secret Service, as on a desktop: the app keeps its keystore key in the keychain.
  (cd ui && DISPLAY=":$DISPLAY_NUM" APP="$TARGET_DIR/debug/nextauth-app" NEXTAUTH_EXPECT_KEYCHAIN=1 \
    SERVER="${NEXTAUTH_SERVER_BIN:-$TARGET_DIR/debug/nextauth-server}" \
    ../scripts/with-keyring.sh node tests/e2e.test.mjs) 2>&1 | tee "$logs/e2e.log"
  count "$logs/e2e.log"
fi
kill "$XVFB_PID" 2>/dev/null
wait "$XVFB_PID" 2>/dev/null

echo "== Journey (Chromium and the real app on one display with a window manager, real server)"
start_xvfb "$logs/xvfb-journey.log"
if [[ -n $DISPLAY_NUM ]]; then
  DISPLAY=":$DISPLAY_NUM" openbox >"$logs/openbox.log" 2>&1 &
  WM_PID=$!
  # GNOME Keyring without a default keyring: the app asks for one (the system's dialog).
  (cd ui && DISPLAY=":$DISPLAY_NUM" APP="$TARGET_DIR/debug/nextauth-app" NEXTAUTH_KEYRING_DEFAULT=none \
    SERVER="${NEXTAUTH_SERVER_BIN:-$TARGET_DIR/debug/nextauth-server}" \
    ../scripts/with-keyring.sh node tests/journey.test.mjs) 2>&1 | tee "$logs/journey.log"
  count "$logs/journey.log"
  kill "$WM_PID" 2>/dev/null
fi
kill "$XVFB_PID" 2>/dev/null
wait "$XVFB_PID" 2>/dev/null

echo "== Starting twice builds nothing the second time"
scripts/test-build-once.sh 2>&1 | tee "$logs/build.log"
count "$logs/build.log"

echo "${total_passed} passed, ${total_failed} failed"
[[ $total_failed -eq 0 ]]
