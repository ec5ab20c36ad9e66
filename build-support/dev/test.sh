#!/usr/bin/env bash
# Runs the workspace's tests against local PostgreSQL, Redis and a Kafka-protocol broker.
#
#   ./build-support/dev/test.sh [cargo nextest run flags/filters]
#   e.g. ./build-support/dev/test.sh -p estospaces-identity login
#
# Starts the services if needed (services.sh up), points the tests at them through
# ESTOSPACES_TEST_* variables, drops databases earlier runs left behind, then runs nextest.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build-support/dev/tools.sh
source "$repo_root/build-support/dev/tools.sh"
cd "$repo_root"

estospaces_ensure_nextest
estospaces_ensure_aiosmtpd
estospaces_ensure_moto
"$repo_root/build-support/dev/services.sh" up

export ESTOSPACES_TEST_DATABASE_URL="${ESTOSPACES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export ESTOSPACES_TEST_REDIS_URL=redis://127.0.0.1:6379
export ESTOSPACES_TEST_KAFKA_BROKERS=127.0.0.1:9092
# The notification tests start their own SMTP server with it.
export ESTOSPACES_TEST_SMTP_SERVER="$ESTOSPACES_AIOSMTPD"
# The media tests start their own S3-compatible server with it.
export ESTOSPACES_TEST_S3_SERVER="$ESTOSPACES_MOTO_SERVER"

# The Rust test helper creates one database per test named estospaces_test_*; a run that was
# killed leaves them behind. Drop those older than 30 minutes (so a concurrent run keeps its own),
# and never with FORCE: a database something is still connected to is simply kept.
drop_stale_test_databases() {
  if ! command -v psql >/dev/null 2>&1; then
    echo "test.sh: psql not found; not dropping leftover estospaces_test_* databases" >&2
    return 0
  fi
  local psql=(psql "$ESTOSPACES_TEST_DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1)
  local names
  # A database's age is its directory's; reading it needs superuser (the local postgres user is).
  # Without it, fall back to every estospaces_test_* database.
  if ! names="$("${psql[@]}" -c "
      SELECT quote_ident(datname) FROM pg_database
      WHERE datname LIKE 'estospaces\_test\_%'
        AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '30 minutes'" 2>/dev/null)"; then
    names="$("${psql[@]}" -c "SELECT quote_ident(datname) FROM pg_database WHERE datname LIKE 'estospaces\_test\_%'")" || {
      echo "test.sh: could not list leftover test databases; continuing" >&2
      return 0
    }
  fi
  local name dropped=0 kept=0
  while IFS= read -r name; do
    [[ -n "$name" ]] || continue
    if "${psql[@]}" -c "DROP DATABASE IF EXISTS $name" 2>/dev/null; then
      dropped=$((dropped + 1))
    else
      kept=$((kept + 1))
    fi
  done <<<"$names"
  if ((dropped > 0)); then
    echo "test.sh: dropped $dropped leftover estospaces_test_* database(s)" >&2
  fi
  if ((kept > 0)); then
    echo "test.sh: kept $kept estospaces_test_* database(s) that are still in use" >&2
  fi
}
drop_stale_test_databases

# The platform tests start the binaries themselves (tests/tests/{binaries,crash}.rs); nextest
# builds test targets and only their own packages' binaries, so build every binary first.
cargo build --workspace --bins --locked
exec cargo nextest run --workspace --no-fail-fast "$@"
