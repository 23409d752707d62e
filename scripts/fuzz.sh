#!/usr/bin/env bash
# Runs every cargo-fuzz target of every crate with a fuzz/ directory (crates/protocol,
# crates/qr) for a bounded time.
#
#   FUZZ_SECONDS   seconds per target (default 20)
#   FUZZ_TARGETS   space-separated subset of targets (default: all, from `cargo fuzz list`);
#                  a crate none of whose targets is named is skipped
#
# Needs the nightly toolchain and cargo-fuzz (scripts/install-deps.sh installs cargo-fuzz).
# Builds each crate's targets once (release, debug assertions, AddressSanitizer), then runs each.
# Exits non-zero if any target finds a crash; the reproducer is left under
# crates/<crate>/fuzz/artifacts/<target>/ (rerun there with `cargo +nightly fuzz run <target> <file>`).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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

passed=0
failed=0
failures=()
for crate_dir in "$root"/crates/*/; do
  [[ -f "$crate_dir/fuzz/Cargo.toml" ]] || continue
  crate="$(basename "$crate_dir")"
  cd "$crate_dir" || exit 1

  mapfile -t all < <(cargo +nightly fuzz list)
  if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a wanted <<<"$FUZZ_TARGETS"
    targets=()
    for t in "${all[@]}"; do
      for w in "${wanted[@]}"; do
        [[ "$t" == "$w" ]] && targets+=("$t")
      done
    done
  else
    targets=("${all[@]}")
  fi
  ((${#targets[@]} == 0)) && continue

  build_start=$SECONDS
  if ! cargo +nightly fuzz build; then
    echo "fuzz: error: building the fuzz targets of crates/$crate failed" >&2
    exit 1
  fi
  echo "fuzz: built the targets of crates/$crate in $((SECONDS - build_start))s"

  for target in "${targets[@]}"; do
    echo "fuzz: running $crate/$target for ${seconds}s"
    start=$SECONDS
    if cargo +nightly fuzz run "$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1; then
      passed=$((passed + 1))
      echo "fuzz: $crate/$target passed ($((SECONDS - start))s)"
    else
      failed=$((failed + 1))
      failures+=("$crate/$target")
      echo "fuzz: $crate/$target FAILED ($((SECONDS - start))s); see crates/$crate/fuzz/artifacts/$target/" >&2
    fi
  done
done

if ((passed + failed == 0)); then
  echo "fuzz: error: no fuzz targets found" >&2
  exit 1
fi
if ((failed > 0)); then
  echo "fuzz: failing targets: ${failures[*]}" >&2
fi
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
