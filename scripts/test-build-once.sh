#!/usr/bin/env bash
# Checks that starting the product twice builds nothing the second time (issue 10): runs the
# build step of scripts/run.sh twice and compares ui/dist and the app binary before and after
# the second run. Closes with "build: N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
app=$TARGET_DIR/debug/nextauth-app
passes=0
fails=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }
NEXTAUTH_RUN_BUILD_ONLY=1 scripts/run.sh >/dev/null 2>&1
before_ui=$(stat -c %Y.%s ui/dist/index.html 2>/dev/null)
before_app=$(stat -c %Y.%s "$app" 2>/dev/null)
log=$(NEXTAUTH_RUN_BUILD_ONLY=1 scripts/run.sh 2>&1)
check "the UI is not built again" '[[ $log == *"ui/dist is up to date"* && $(stat -c %Y.%s ui/dist/index.html) == "$before_ui" ]]'
check "the app is not relinked" '[[ -n $before_app && $(stat -c %Y.%s "$app") == "$before_app" ]]'
echo "build: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
