#!/usr/bin/env bash
# Builds the desktop app for development and tests: the UI (ui/dist, embedded by the Rust
# build), then the debug binary target/debug/nextauth-app and the reference server used by
# the end-to-end test. Assumes scripts/install-app-deps.sh has run (ui/node_modules).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
(cd ui && npm run build)
cargo build -p nextauth-app -p nextauth-server
