#!/usr/bin/env bash
# Type-checks the app crate (and everything under it) for Android, aarch64-linux-android:
# `cargo check`, so the Rust code behind cfg(mobile) / target_os = "android" is compiled and
# checked without building an APK. These machines have no Android NDK (docs/mobile.md), so the
# C parts that build scripts compile (ring, SQLite) are compiled against musl headers with
# Zig's C compiler (the `ziglang` package from PyPI). Nothing is linked, so this proves the Rust
# side only; an APK still needs the NDK. Usage: scripts/check-android.sh [extra cargo args]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET=aarch64-linux-android
if ! rustup target list --installed | grep -qx "$TARGET"; then
  rustup target add "$TARGET"
fi
zig=$(python3 -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))' 2>/dev/null || true)
if [[ -z $zig || ! -x $zig ]]; then
  echo "check-android: Zig is missing: pip install ziglang (scripts/install-deps.sh does)" >&2
  exit 1
fi

tools="${CARGO_TARGET_DIR:-$PWD/target}/android-check-tools"
mkdir -p "$tools"
# The cc crate passes clang's --target for Android; Zig gets musl instead (headers only matter).
cat >"$tools/cc" <<SH
#!/usr/bin/env bash
args=()
for a in "\$@"; do
  case \$a in
    --target=*) ;;
    *) args+=("\$a") ;;
  esac
done
exec "$zig" cc -target aarch64-linux-musl "\${args[@]}"
SH
cat >"$tools/ar" <<SH
#!/usr/bin/env bash
exec "$zig" ar "\$@"
SH
chmod +x "$tools/cc" "$tools/ar"

export CC_aarch64_linux_android="$tools/cc" AR_aarch64_linux_android="$tools/ar"
# wry's build script wants to know where a mobile project would put its Kotlin files.
export WRY_ANDROID_PACKAGE=io.github.nextauth_rs.app WRY_ANDROID_LIBRARY=nextauth_app_lib
export WRY_ANDROID_KOTLIN_FILES_OUT_DIR="${CARGO_TARGET_DIR:-$PWD/target}/android-check-kotlin"
mkdir -p "$WRY_ANDROID_KOTLIN_FILES_OUT_DIR"
cargo check -p nextauth-app --target "$TARGET" "$@"
