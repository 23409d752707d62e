# Sourced by the install scripts: apt_install_missing NAME PACKAGE... installs, with apt-get,
# the packages dpkg does not know yet (all at once, one `apt-get update`), and says so under
# NAME; a machine that has them all is only checked.
apt_install_missing() {
  local name=$1 pkg
  shift
  local missing=()
  for pkg in "$@"; do
    if ! dpkg -s "$pkg" >/dev/null 2>&1; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} > 0)); then
    echo "$name: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 \
      --no-install-recommends "${missing[@]}"
  else
    echo "$name: system packages already present"
  fi
}
