#!/usr/bin/env bash
# Runs every test: the workspace's unit, integration, end-to-end and doc tests (SQLite), the
# same again with the server on PostgreSQL, the fuzz targets for a bounded time, and the
# desktop app's UI and end-to-end tests. Assumes scripts/install-deps.sh has run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Unit and integration tests. With cargo-nextest (on these machines from the start) every test
# runs in its own process, four at a time: most of them wait on sockets, servers and timers, so
# four keep the two cores busy (docs/architecture.md, "Test run time"). Then the benches' smoke
# passes and the examples, which nextest cannot list (their binaries have no test harness).
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --lib --bins --tests --test-threads 4 --no-fail-fast
  cargo test --workspace --benches --examples
else
  cargo test --workspace --all-targets
fi
# Doc tests (not covered by --all-targets).
cargo test --workspace --doc

# Again on PostgreSQL, only the tests that read NEXTAUTH_TEST_DATABASE_URL (each test gets its
# own database): the server's tests that go through tests/support (TestServer), the sweep and
# the migrations, and the end-to-end tests that run two server processes on one database
# (harness::shared_database: multi_process.rs, cluster.rs, drain.rs, pg_restart.rs and attacks/pin.rs)
# and the continuous sessions' resume. `--workspace` with test
# targets, so that features unify as in the first run and nothing is rebuilt.
database_url=$(scripts/postgres.sh)
NEXTAUTH_TEST_DATABASE_URL=$database_url cargo test --workspace \
  --test api --test app_endpoint --test geoip --test push_senders --test sweep --test web \
  --test logins --test logs --test migrations --test multi_process --test cluster --test pg_restart \
  --test resume --test drain
NEXTAUTH_TEST_DATABASE_URL=$database_url cargo test --workspace --test attacks -- pin::

if [[ -x scripts/fuzz.sh ]]; then
  scripts/fuzz.sh
elif [[ -f scripts/fuzz.sh ]]; then
  bash scripts/fuzz.sh
fi

# The desktop app: UI tests in headless Chromium and the real app under Xvfb (last line:
# "N passed, N failed").
scripts/test-app.sh
