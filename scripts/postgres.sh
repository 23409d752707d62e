#!/usr/bin/env bash
# Starts the local PostgreSQL cluster (Debian's postgresql package) and makes sure the role
# the server's PostgreSQL tests use exists. Prints the admin URL the tests take as
# NEXTAUTH_TEST_DATABASE_URL; each test creates its own database under it.
set -euo pipefail

# Only the URL goes to standard output (callers capture it with $(...)); pg_ctlcluster and
# friends print notices such as "Warning: the cluster will not be running as a systemd
# service" on standard output, so everything else goes to standard error.
exec 3>&1 1>&2

version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [[ -z "$version" ]]; then
  echo "postgres.sh: PostgreSQL is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if ! pg_lsclusters -h | grep -q online; then
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1, $2}')
  if [[ -z "$cluster" ]]; then
    pg_createcluster "$version" main 3>&-
    cluster="$version main"
  fi
  # shellcheck disable=SC2086
  pg_ctlcluster $cluster start 3>&-
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
su postgres -c "psql -qtAc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nextauth') THEN CREATE ROLE nextauth LOGIN CREATEDB PASSWORD 'nextauth'; END IF; END \\\$\\\$\"" >/dev/null
# Databases left by earlier test runs.
for db in $(su postgres -c "psql -qtAc \"SELECT datname FROM pg_database WHERE datname LIKE 'nextauth_test_%'\""); do
  su postgres -c "psql -qtAc 'DROP DATABASE IF EXISTS $db'" >/dev/null
done
echo "postgres://nextauth:nextauth@127.0.0.1:5432/postgres" >&3
