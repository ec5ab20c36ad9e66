#!/usr/bin/env bash
# Local backing services for tests and development, all on loopback:
#   PostgreSQL 127.0.0.1:5432 (user postgres, trust auth), Redis 127.0.0.1:6379,
#   Kafka protocol 127.0.0.1:9092 (tansu with durable SQLite storage in the cache).
#
#   build-support/dev/services.sh up       # start whatever is not running; quick when all are
#   build-support/dev/services.sh down     # stop the tansu this script started (PG/Redis stay up)
#   build-support/dev/services.sh status   # one line per dependency; exit 1 if any is down
#
# PostgreSQL and Redis come from Debian packages (installed with apt-get only when missing) and are
# shared with the rest of the machine, so `down` never stops them. There is no Kafka in Debian and
# no JVM download here: tansu is a Kafka-compatible broker built from crates.io (see tools.sh).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build-support/dev/tools.sh
source "$repo_root/build-support/dev/tools.sh"

readonly HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379 KAFKA_PORT=9092
# How long to wait for a service to accept connections after starting it.
readonly START_TIMEOUT="${ESTOSPACES_SERVICES_TIMEOUT:-30}"

kafka_dir="$ESTOSPACES_CACHE/kafka"
kafka_log="$kafka_dir/tansu.log"
kafka_pidfile="$kafka_dir/tansu.pid"
# tansu resolves sqlite://NAME against its working directory, so it is started in kafka_dir.
kafka_storage="sqlite://tansu.db"
redis_dir="$ESTOSPACES_CACHE/redis"

log() { printf '%s\n' "$*"; }
die() {
  printf 'services: error: %s\n' "$*" >&2
  exit 1
}

# True when something accepts TCP connections on HOST:$1 (bash's /dev/tcp: no extra tools).
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$HOST" -p "$PG_PORT" -t 1
  else
    port_open "$PG_PORT"
  fi
}

redis_up() {
  if command -v redis-cli >/dev/null 2>&1; then
    [[ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
  else
    port_open "$REDIS_PORT"
  fi
}

kafka_up() { port_open "$KAFKA_PORT"; }

# True while process $1 exists and is not a zombie.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  # Field 3 of /proc/PID/stat, after the parenthesised command name.
  state="$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != Z ]]
}

# Waits until "$1" succeeds or START_TIMEOUT seconds pass.
wait_for() {
  local check="$1" deadline=$((SECONDS + START_TIMEOUT))
  until "$check"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Root runs apt-get and pg_ctlcluster directly; anyone else needs password-less sudo.
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    die "need root (or password-less sudo) to run: $*"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "$* not installed and apt-get is unavailable; install it yourself"
  log "services: installing $* (apt-get)"
  # Fresh containers ship without package lists.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL ---------------------------------------------------------------------------------------

pg_start() {
  pg_up && return 0
  local installed_here=0 version hba
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt_install postgresql
    installed_here=1
  fi
  version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$version" ]] || die "PostgreSQL is installed but /etc/postgresql has no cluster version"
  if [[ ! -d "/etc/postgresql/$version/main" ]]; then
    as_root pg_createcluster "$version" main >/dev/null
    installed_here=1
  fi
  if ((installed_here)); then
    # Only on a machine we just set up: tests connect as postgres without a password. First
    # matching pg_hba line wins, so these go on top.
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    log "services: PostgreSQL $version: trust auth for loopback TCP in $hba"
    as_root sed -i \
      -e '1i # Added by estospaces build-support/dev/services.sh (local development and CI only).' \
      -e '1i host all all 127.0.0.1/32 trust' \
      -e '1i host all all ::1/128 trust' \
      "$hba"
    # The package may have started the cluster already; make it re-read pg_hba.conf.
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
  fi
  log "services: starting PostgreSQL $version"
  # A failure here may just be "already running" (up but not accepting connections yet): the
  # readiness wait below decides.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for pg_up || die "PostgreSQL did not accept connections on $HOST:$PG_PORT within ${START_TIMEOUT}s (see /var/log/postgresql/)"
}

# Redis --------------------------------------------------------------------------------------------

redis_start() {
  redis_up && return 0
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  log "services: starting Redis"
  mkdir -p "$redis_dir"
  # A throwaway cache for tests: no persistence, loopback only (-::1: IPv6 if available).
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$redis_dir" --logfile "$redis_dir/redis.log" --pidfile "$redis_dir/redis.pid" >/dev/null
  wait_for redis_up || die "Redis did not answer PING on $HOST:$REDIS_PORT within ${START_TIMEOUT}s (see $redis_dir/redis.log)"
}

# Kafka (tansu) --------------------------------------------------------------------------------------

# Prints the pid from our pid file when that process is still a tansu we started.
our_tansu_pid() {
  local pid
  [[ -r "$kafka_pidfile" ]] || return 1
  pid="$(<"$kafka_pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # Guards against pid reuse after a reboot: the process must still be tansu.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'tansu broker' || return 1
  printf '%s\n' "$pid"
}

kafka_log_tail() {
  printf -- '--- last lines of %s ---\n' "$kafka_log" >&2
  tail -n 30 "$kafka_log" >&2 2>/dev/null || true
}

kafka_start() {
  kafka_up && return 0
  estospaces_ensure_tansu
  mkdir -p "$kafka_dir"
  rm -f "$kafka_pidfile"
  # Keep the log from growing without bound across many restarts.
  if [[ -f "$kafka_log" ]] && (($(wc -c <"$kafka_log") > 10 * 1024 * 1024)); then
    mv -f "$kafka_log" "$kafka_log.1"
  fi
  log "services: starting tansu on $HOST:$KAFKA_PORT ($kafka_storage in $kafka_dir)"
  printf '\n=== %s services.sh up ===\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$kafka_log"
  # setsid + nohup: the broker outlives this script and the terminal/CI step that ran it (it is
  # reused by later runs). No fork happens before tansu, so $! is tansu's pid. Explicit flags
  # override the CLUSTER_ID/LISTENER_URL/... environment variables tansu would otherwise read.
  local setsid=()
  command -v setsid >/dev/null 2>&1 && setsid=(setsid)
  (
    cd "$kafka_dir"
    exec 8>&- # the services.lock descriptor: a long-lived broker must not hold the lock
    export NO_COLOR=1 # plain log file, no ANSI escapes
    exec "${setsid[@]}" nohup "$ESTOSPACES_TANSU" broker \
      --cluster-id estospaces \
      --listener-url "tcp://$HOST:$KAFKA_PORT" \
      --advertised-listener-url "tcp://$HOST:$KAFKA_PORT" \
      --storage-engine "$kafka_storage" \
      </dev/null >>"$kafka_log" 2>&1
  ) &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT))
  printf '%s\n' "$pid" >"$kafka_pidfile"
  until kafka_up; do
    if ! alive "$pid"; then
      rm -f "$kafka_pidfile"
      kafka_log_tail
      die "tansu exited before accepting connections on $HOST:$KAFKA_PORT"
    fi
    if ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      rm -f "$kafka_pidfile"
      kafka_log_tail
      die "tansu did not accept connections on $HOST:$KAFKA_PORT within ${START_TIMEOUT}s"
    fi
    sleep 0.1
  done
}

kafka_stop() {
  local pid
  if ! pid="$(our_tansu_pid)"; then
    rm -f "$kafka_pidfile"
    if kafka_up; then
      log "kafka: $HOST:$KAFKA_PORT is served by a broker services.sh did not start; left alone"
    else
      log "kafka: not running"
    fi
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # Storage is durable (SQLite), so a hard kill after a grace period loses nothing committed.
  for _ in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "kafka: tansu (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$kafka_pidfile"
  log "kafka: stopped tansu (pid $pid)"
}

# ---------------------------------------------------------------------------------------------------

status() {
  local rc=0 pid
  if pg_up; then log "postgres  up    $HOST:$PG_PORT"; else log "postgres  down  $HOST:$PG_PORT"; rc=1; fi
  if redis_up; then log "redis     up    $HOST:$REDIS_PORT"; else log "redis     down  $HOST:$REDIS_PORT"; rc=1; fi
  if kafka_up; then
    if pid="$(our_tansu_pid)"; then
      log "kafka     up    $HOST:$KAFKA_PORT (tansu pid $pid, $kafka_dir/tansu.db, log $kafka_log)"
    else
      log "kafka     up    $HOST:$KAFKA_PORT (not started by services.sh)"
    fi
  else
    log "kafka     down  $HOST:$KAFKA_PORT"
    rc=1
  fi
  return "$rc"
}

up() {
  # Fast path: nothing to do, no lock, no tool checks.
  if pg_up && redis_up && kafka_up; then
    return 0
  fi
  mkdir -p "$ESTOSPACES_CACHE"
  # Two concurrent `up`s (e.g. two test runs) must not both start a broker.
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$ESTOSPACES_CACHE/services.lock"
    flock -x 8
  fi
  pg_start
  redis_start
  kafka_start
  status
}

case "${1:-}" in
  up) up ;;
  down) kafka_stop ;;
  status) status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
