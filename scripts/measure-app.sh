#!/usr/bin/env bash
# Measures the desktop app's startup time and memory under Xvfb.
#
#   scripts/measure-app.sh [RUNS]        (default 5; needs Xvfb and the debug or release binary)
#
# Each run starts the app with a fresh data directory and reads its log:
#   * "set up": the Rust side is ready (SDK and database open, window created);
#   * "UI ready": the web UI has loaded, attached its listeners and called app_ready;
# both as the app's own elapsed time since main() and as wall-clock time since spawn. Two
# seconds after "UI ready" it sums the resident memory (VmRSS) of the app process and of its
# WebKit helper processes (web content, network), then ends the app.
# APP=/path/to/nextauth-app overrides the binary (default: target/debug/nextauth-app).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-5}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
APP=${APP:-$TARGET_DIR/debug/nextauth-app}
[[ -x $APP ]] || { echo "measure-app: $APP is missing (scripts/build-app.sh)"; exit 1; }

work=$(mktemp -d)
exec 3<> <(:)
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
XVFB_PID=$!
read -r -t 10 DISPLAY_NUM <&3
exec 3>&-
cleanup() {
  kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# Proportional set size: shared pages split between the processes that map them.
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
children_of() { # all descendants of $1
  local p
  for p in $(ps -o pid= --ppid "$1"); do
    echo "$p"
    children_of "$p"
  done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

echo "binary: $APP ($(du -h "$APP" | cut -f1))"
printf '%-4s %10s %8s %11s %8s %12s %14s %14s\n' run "setup(ms)" "ui(ms)" "setup wall" "ui wall" "app RSS MiB" "total RSS MiB" "total PSS MiB"
declare -a ui_list=() total_list=() pss_list=()
for run in $(seq 1 "$RUNS"); do
  data="$work/data-$run"
  log="$work/app-$run.log"
  t0=$(now_ms)
  DISPLAY=":$DISPLAY_NUM" NEXTAUTH_APP_DATA="$data" NEXTAUTH_LIVE=0 RUST_LOG=info \
    "$APP" >"$log" 2>&1 &
  pid=$!
  setup_wall="" ui_wall=""
  for _ in $(seq 1 1500); do
    [[ -z $setup_wall ]] && grep -q "app set up" "$log" && setup_wall=$(($(now_ms) - t0))
    if grep -q "ui ready" "$log"; then
      ui_wall=$(($(now_ms) - t0))
      break
    fi
    sleep 0.02
  done
  if [[ -z $ui_wall ]]; then
    echo "run $run: the UI did not become ready in 30 s"
    tail -5 "$log"
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  sleep 2
  app_kb=$(rss_kb "$pid")
  total_kb=$app_kb
  pss_total=$(pss_kb "$pid")
  for c in $(children_of "$pid"); do
    total_kb=$((total_kb + $(rss_kb "$c")))
    pss_total=$((pss_total + $(pss_kb "$c")))
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  setup_ms=$(sed -nE 's/.*app set up elapsed_ms=([0-9]+).*/\1/p' "$log" | head -1)
  ui_ms=$(sed -nE 's/.*ui ready elapsed_ms=([0-9]+).*/\1/p' "$log" | head -1)
  ui_list+=("$ui_wall")
  total_list+=("$total_kb")
  pss_list+=("$pss_total")
  printf '%-4s %10s %8s %11s %8s %12.1f %14.1f %14.1f\n' "$run" "$setup_ms" "$ui_ms" "$setup_wall" "$ui_wall" \
    "$(awk "BEGIN {print $app_kb / 1024}")" "$(awk "BEGIN {print $total_kb / 1024}")" "$(awk "BEGIN {print $pss_total / 1024}")"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median UI ready (wall): $(median "${ui_list[@]}") ms; median total RSS: $(awk "BEGIN {printf \"%.1f\", $(median "${total_list[@]}") / 1024}") MiB; median total PSS: $(awk "BEGIN {printf \"%.1f\", $(median "${pss_list[@]}") / 1024}") MiB"
