#!/bin/sh
# Installs Debian's PostgreSQL, starts its cluster, and makes a role and a database for the tests of
# the PostgreSQL store and of several coordinator instances (issue 13). Idempotent: a second run
# finds everything in place and only prints the URL again. The last line on stdout is the URL;
# it is also written to FEDTUNE_TEST_POSTGRES_URL_FILE (default /tmp/fedtune-test-postgres.url),
# where the tests look when the FEDTUNE_TEST_POSTGRES_URL variable is unset. Without PostgreSQL
# those tests say why they are skipped.
set -eu
CI_NAME=ci-install-postgres
. "$(dirname "$0")/ci-apt-lib.sh"

URL_FILE="${FEDTUNE_TEST_POSTGRES_URL_FILE:-/tmp/fedtune-test-postgres.url}"
ROLE=fedtune_test
DB=fedtune_test

if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  log "not Debian; skipped (start PostgreSQL yourself and set FEDTUNE_TEST_POSTGRES_URL)" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "not root; skipped (run as root to install and start Debian's postgresql)" >&2
  exit 0
fi
if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  retry apt-get update -qq
  retry apt-get install -y -qq --no-install-recommends postgresql
  log "installed $(dpkg-query -W -f='postgresql ${Version}' postgresql)" >&2
else
  log "$(dpkg-query -W -f='postgresql ${Version}' postgresql 2>/dev/null || echo postgresql) already installed" >&2
fi

# Debian's package creates a cluster; without an init system it is left stopped. Start the newest.
cluster=$(pg_lsclusters -h | sort -k1,1V | tail -n 1)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$version" main >&2
  cluster=$(pg_lsclusters -h | sort -k1,1V | tail -n 1)
fi
set -- $cluster
version=$1 name=$2 port=$3 status=$4
if [ "$status" != online ]; then
  pg_ctlcluster "$version" "$name" start >&2
  log "started cluster $version/$name on port $port" >&2
else
  log "cluster $version/$name already online on port $port" >&2
fi

# Wait until it accepts connections (a fresh start takes a moment).
n=0
until su postgres -c "psql -p $port -Atqc 'SELECT 1'" >/dev/null 2>&1; do
  n=$((n + 1))
  [ "$n" -ge 30 ] && { log "cluster $version/$name does not accept connections" >&2; exit 1; }
  sleep 1
done

# The role's password is made once and kept in the URL file (readable by root only).
password=""
if [ -r "$URL_FILE" ]; then
  password=$(sed -n 's|^postgres://[^:]*:\([^@]*\)@.*|\1|p' "$URL_FILE")
fi
[ -n "$password" ] || password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')

psql_admin() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -Atq $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'\"")" = 1 ]; then
  psql_admin "-c \"ALTER ROLE $ROLE WITH LOGIN PASSWORD '$password'\""
else
  psql_admin "-c \"CREATE ROLE $ROLE WITH LOGIN PASSWORD '$password'\""
  log "created role $ROLE" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"")" != 1 ]; then
  psql_admin "-c \"CREATE DATABASE $DB OWNER $ROLE\""
  log "created database $DB" >&2
fi

url="postgres://$ROLE:$password@127.0.0.1:$port/$DB"
umask 077
printf '%s\n' "$url" > "$URL_FILE"
log "the tests read the URL from $URL_FILE (or FEDTUNE_TEST_POSTGRES_URL)" >&2
printf '%s\n' "$url"
