#!/usr/bin/env bash
# Rewrites the app's screenshots in docs/screenshots: the UI tests (every screen and prompt,
# light, dark, forced colours), and with `--all` also the real app's end-to-end test and the
# journey (both need the same machine set-up as scripts/test-app.sh). Test runs leave
# docs/screenshots alone; this is the one way to refresh them.
#
#   scripts/screenshots.sh [--all]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export SCREENSHOTS_DIR=$PWD/docs/screenshots
if [[ ${1:-} == --all ]]; then
  exec scripts/test-app.sh
fi
scripts/build-app.sh
(cd ui && node tests/ui.test.mjs)
