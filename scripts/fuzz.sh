#!/usr/bin/env bash
# Runs every cargo-fuzz target of crates/protocol for a bounded time.
#
#   FUZZ_SECONDS   seconds per target (default 20)
#   FUZZ_TARGETS   space-separated subset of targets (default: all, from `cargo fuzz list`)
#
# Needs the nightly toolchain and cargo-fuzz (scripts/install-deps.sh installs cargo-fuzz).
# Builds all targets once (release, debug assertions, AddressSanitizer), then runs each.
# Exits non-zero if any target finds a crash; the reproducer is left under
# crates/protocol/fuzz/artifacts/<target>/ (rerun with `cargo +nightly fuzz run <target> <file>`).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../crates/protocol"

seconds="${FUZZ_SECONDS:-20}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: error: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
  echo "fuzz: error: cargo-fuzz is not installed; run scripts/install-deps.sh" \
    "or 'cargo install cargo-fuzz --locked'" >&2
  exit 1
fi

build_start=$SECONDS
if ! cargo +nightly fuzz build; then
  echo "fuzz: error: building the fuzz targets failed" >&2
  exit 1
fi
echo "fuzz: built all targets in $((SECONDS - build_start))s"

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: error: no fuzz targets found" >&2
  exit 1
fi

passed=0
failed=0
failures=()
for target in "${targets[@]}"; do
  echo "fuzz: running $target for ${seconds}s"
  start=$SECONDS
  if cargo +nightly fuzz run "$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1; then
    passed=$((passed + 1))
    echo "fuzz: $target passed ($((SECONDS - start))s)"
  else
    failed=$((failed + 1))
    failures+=("$target")
    echo "fuzz: $target FAILED ($((SECONDS - start))s); see fuzz/artifacts/$target/" >&2
  fi
done

if ((failed > 0)); then
  echo "fuzz: failing targets: ${failures[*]}" >&2
fi
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
