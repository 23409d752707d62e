#!/usr/bin/env bash
# Installs what the desktop app's tests need on top of scripts/install-deps.sh (Debian 12, root):
#   * Xvfb, xauth, dbus: a headless X display (and a session bus) for the real app;
#   * gnome-keyring: a Secret Service for the OS-keychain keystore (the SDK's keychain test
#     and the app's end-to-end test start it on a private bus);
#   * webkit2gtk-driver: WebKitWebDriver, which tauri-driver drives;
#   * chromium: the headless browser of the UI tests (Tauri IPC mocked);
#   * imagemagick: shows a QR code in a second X window (the "scan from screen" step);
#   * openbox, xdotool: a window manager for the journey test (windows stacked, raised and
#     focused as on a desktop, so the app's window can cover the website's code), and a person's
#     hands on the keyboard for the system's keyring dialog;
#   * xdg-utils, desktop-file-utils, libglib2.0-bin: xdg-mime, with which the app registers
#     itself as the handler of nextauth: links, and gio, with which the end-to-end test opens one;
#   * python3, python3-dbus, python3-gi: ui/tests/x11-window.py closes the app's window as a
#     close button does; ui/tests/fake-notifications.py is the desktop's notification server;
#   * libclang-dev: only for the app's optional `camera` feature (nokhwa's V4L2 bindings);
#   * tauri-driver (cargo, pinned to 2.x: crates.io also serves 3.0 alphas);
#   * the UI's npm packages (ui/node_modules, from ui/package-lock.json).
# Idempotent: a rerun on a prepared machine only checks and returns quickly.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(
  xvfb
  xauth
  dbus
  gnome-keyring
  webkit2gtk-driver
  chromium
  imagemagick
  openbox
  xdotool
  xdg-utils
  desktop-file-utils
  libglib2.0-bin
  python3
  python3-dbus
  python3-gi
  libclang-dev
)

# shellcheck source=scripts/apt-missing.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-missing.sh"
apt_install_missing install-app-deps "${APT_PACKAGES[@]}"

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "install-app-deps: installing tauri-driver 2.x"
  cargo install tauri-driver --version '^2' --locked
fi

# The UI: Vite, TypeScript, and the test clients (playwright-core drives Debian's Chromium,
# webdriverio drives tauri-driver). `npm ci` is skipped when the lock file has not changed.
if [[ ! -f ui/node_modules/.package-lock.json ]] ||
  ! cmp -s ui/package-lock.json ui/node_modules/.install-stamp 2>/dev/null; then
  echo "install-app-deps: npm ci in ui/"
  (cd ui && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.install-stamp)
else
  echo "install-app-deps: ui/node_modules up to date"
fi

echo "install-app-deps: done"
