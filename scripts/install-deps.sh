#!/usr/bin/env bash
# Installs everything needed to build, test and run nextauth-rs on a fresh Debian 12 machine.
# Run as root. Idempotent: a rerun on a prepared machine only checks and returns quickly.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# Tauri 2 build packages (WebKitGTK 4.1 and friends), ImageMagick for icons and screenshots,
# PostgreSQL for the server's second database backend in tests, HAProxy for the cluster test.
APT_PACKAGES=(
  libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev
  librsvg2-dev
  libxdo-dev
  libssl-dev
  build-essential
  pkg-config
  file
  curl
  imagemagick
  postgresql
  haproxy
)

# shellcheck source=scripts/apt-missing.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-missing.sh"
apt_install_missing install-deps "${APT_PACKAGES[@]}"

# Rust components used by .ci/run.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
    rustup component add "$component"
  fi
done

# cargo-fuzz runs the protocol fuzz targets (needs the nightly toolchain, which is assumed present).
if ! cargo fuzz --help >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# The desktop app's test tools: Xvfb, WebKitWebDriver, Chromium, tauri-driver, the UI's npm packages.
"$(dirname "${BASH_SOURCE[0]}")/install-app-deps.sh"

echo "install-deps: done"
