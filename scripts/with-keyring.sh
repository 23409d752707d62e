#!/usr/bin/env bash
# Runs a command the way a desktop session would have it: on a private D-Bus session bus with
# an unlocked GNOME Keyring providing the Secret Service (the app keeps its keystore key there).
# NEXTAUTH_KEYRING_DEFAULT=none starts GNOME Keyring without a default keyring instead.
# Used by scripts/test-app.sh for the app's end-to-end test. Needs dbus and gnome-keyring
# (scripts/install-app-deps.sh).
set -euo pipefail
if [[ -z ${NEXTAUTH_KEYRING_SESSION:-} ]]; then
  exec env NEXTAUTH_KEYRING_SESSION=1 dbus-run-session -- "$0" "$@"
fi
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
if [[ ${NEXTAUTH_KEYRING_DEFAULT:-login} == none ]]; then
  # As D-Bus activation starts it (or a session that never unlocked a login keyring): no
  # default keyring; an app that asks for one gets the system's dialog (gcr-prompter, on
  # $DISPLAY). The journey test answers it.
  gnome-keyring-daemon --start --components=secrets >/dev/null
else
  # The login keyring is created with this password and unlocked, as a desktop session's PAM
  # module does; the daemon lives as long as the session bus.
  printf 'nextauth-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
fi
"$@"
