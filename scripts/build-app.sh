#!/usr/bin/env bash
# Builds the desktop app for development and tests: the UI (ui/dist, embedded by the Rust
# build), then the debug binary target/debug/nextauth-app and the reference server used by
# the end-to-end test (not built when NEXTAUTH_SERVER_BIN names a server binary). Assumes scripts/install-app-deps.sh has run (ui/node_modules).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/ui-build.sh
source scripts/ui-build.sh
ui_build_if_changed
# The whole workspace's binaries, so that dependency features unify as in `cargo test
# --workspace` and nothing is compiled twice.
cargo build --workspace --bins
