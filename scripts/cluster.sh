#!/usr/bin/env bash
# Runs the reference server as a small cluster: PostgreSQL (scripts/postgres.sh), N server
# processes on one database sharing master.key and demo.json, and HAProxy in front of them
# (round robin, no sticky sessions, WebSockets tunnelled, a process that fails its health
# check taken out within 200 ms). Ctrl-C stops everything. tests/cluster.rs runs the same
# arrangement under cargo test.
#
# Environment:
#   NEXTAUTH_CLUSTER_LISTEN  the balancer's address (default 127.0.0.1:8080)
#   NEXTAUTH_CLUSTER_SIZE    server processes (default 2)
#   NEXTAUTH_CLUSTER_DIR     data directories and the HAProxy config (default ./data-cluster)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

listen="${NEXTAUTH_CLUSTER_LISTEN:-127.0.0.1:8080}"
size="${NEXTAUTH_CLUSTER_SIZE:-2}"
dir="${NEXTAUTH_CLUSTER_DIR:-./data-cluster}"
[[ -x /usr/sbin/haproxy ]] || { echo "cluster: HAProxy is missing (scripts/install-deps.sh)" >&2; exit 1; }

admin=$(scripts/postgres.sh)
database="nextauth_cluster"
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = '$database'\"" | grep -q 1 ||
  su postgres -c "psql -qc 'CREATE DATABASE $database OWNER nextauth'"
url="${admin%/*}/$database"

# The whole workspace's binaries, as scripts/run.sh builds them: the same features, nothing built twice.
cargo build --workspace --bins
mkdir -p "$dir"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
backends=""
for i in $(seq 1 "$size"); do
  data="$dir/server-$i"
  mkdir -p "$data" && chmod 700 "$data"
  if [[ $i -gt 1 ]]; then
    # One identity for the cluster: the first process made the master key and the demo site.
    for f in master.key demo.json; do [[ -f "$data/$f" ]] || cp -p "$dir/server-1/$f" "$data/$f"; done
  fi
  port=$((18080 + i))
  target/debug/nextauth-server --listen "127.0.0.1:$port" --data-dir "$data" \
    --database-url "$url" --public-url "http://$listen" &
  pids+=($!)
  backends+="  server s$i 127.0.0.1:$port check"$'\n'
  # The first process creates the schema and the demo identity before the others copy it.
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

cat >"$dir/haproxy.cfg" <<CFG
global
  # Each connection takes two descriptors (client and server side): keep under the FD limit.
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  # A readiness answer may wait for the database up to 2 s; without this the check's read
  # timeout is the 200 ms interval, and a busy process would be taken out.
  timeout check 2s
  option redispatch
  retries 2
frontend front
  bind $listen
  default_backend servers
backend servers
  balance roundrobin
  # Readiness, not liveness: a draining process (SIGTERM) or one without its database or its
  # LISTEN connection is taken out; one that comes back is put in again.
  option httpchk GET /readyz
  default-server inter 200ms fall 1 rise 2
$backends
CFG
/usr/sbin/haproxy -db -f "$dir/haproxy.cfg" &
pids+=($!)
echo "cluster: $size server processes on $url behind http://$listen (Ctrl-C stops)"
wait -n
