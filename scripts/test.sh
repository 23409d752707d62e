#!/usr/bin/env bash
# Runs every test: the workspace's unit, integration, end-to-end and doc tests (SQLite), the
# same again with the server on PostgreSQL, the fuzz targets for a bounded time, and the
# desktop app's UI and end-to-end tests. Assumes scripts/install-deps.sh has run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Unit and integration tests (plus benches/examples compiled as tests).
cargo test --workspace --all-targets
# Doc tests (not covered by --all-targets).
cargo test --workspace --doc

# The server's tests again, on PostgreSQL (each test gets its own database).
# (The whole workspace, so that features unify as above and nothing is rebuilt; only the
# server's tests read the variable.)
NEXTAUTH_TEST_DATABASE_URL=$(scripts/postgres.sh) cargo test --workspace --all-targets

if [[ -x scripts/fuzz.sh ]]; then
  scripts/fuzz.sh
elif [[ -f scripts/fuzz.sh ]]; then
  bash scripts/fuzz.sh
fi

# The desktop app: UI tests in headless Chromium and the real app under Xvfb (last line:
# "N passed, N failed").
scripts/test-app.sh
