#!/usr/bin/env bash
# Interleaved runs of the cluster bench's login stages (STAGES=1, one process) against server
# binaries to compare, e.g. a production build of `main` and one of a change:
#   cp target/production/nextauth-server /tmp/before-server   (and /tmp/after-server)
#   CFGS="before after" REPS="1 2 3" scripts/bench-logins.sh
# Each run's output goes to $OUT-<db>-<cfg>-<rep>.txt; the lines with the app's login figures
# are printed as they come. DB=pg (default, scripts/postgres.sh) or sqlite; LOGINS (3000),
# IN_FLIGHT (64). Needs the bench built: cargo bench -p nextauth-server --bench cluster --no-run
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ulimit -n 20000
bench=$(ls -t target/release/deps/cluster-* | grep -v '\.d$' | head -1)
db=${DB:-pg}
for rep in ${REPS:-1 2 3}; do
  for cfg in ${CFGS:-before after}; do
    out=${OUT:-/tmp/bench-logins}-$db-$cfg-$rep.txt
    if [[ $db == pg ]]; then
      NEXTAUTH_TEST_DATABASE_URL=$(scripts/postgres.sh)
      export NEXTAUTH_TEST_DATABASE_URL
    else
      unset NEXTAUTH_TEST_DATABASE_URL
    fi
    echo "== $cfg rep $rep $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
    STAGES=1 SINGLE=1 IN_FLIGHT=${IN_FLIGHT:-64} APPS=100 LOGINS=${LOGINS:-3000} WORKER_THREADS=1 \
      NEXTAUTH_SERVER_BIN=/tmp/$cfg-server "$bench" --bench >>"$out" 2>&1
    grep -E "the app's login" "$out"
  done
done
