#!/usr/bin/env bash
# Smoke tests of two binaries as a user would start them:
# - the identity service (`cargo run -p estospaces-identity`): it must listen, report SERVING on
#   the standard health service, expose the IdentityService through reflection, and exit 0
#   within 10 s of SIGTERM;
# - the whole platform (`cargo run -p estospaces`, the README's run command): its gateway must
#   report ready, serve the OpenAPI document, answer grpcurl (health, reflection of every
#   service), register an account over REST/JSON, and exit 0
#   within 10 s of SIGTERM.
#
#   build-support/dev/smoke.sh
#
# On failure it exits non-zero and prints the service's log.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build-support/dev/tools.sh
source "$repo_root/build-support/dev/tools.sh"
cd "$repo_root"

readonly PACKAGE=estospaces-identity
readonly SERVICE=estospaces.identity.v1.IdentityService
readonly START_TIMEOUT=60 STOP_TIMEOUT=10

estospaces_ensure_grpcurl

work="$(mktemp -d "${TMPDIR:-/tmp}/estospaces-smoke.XXXXXX")"
service_log="$work/service.log"
pid=""

fail() {
  printf 'smoke: FAILED: %s\n' "$*" >&2
  if [[ -s "$service_log" ]]; then
    printf -- '--- %s log ---\n' "$PACKAGE" >&2
    cat "$service_log" >&2
    printf -- '--- end of log ---\n' >&2
  fi
  exit 1
}

# True while process $1 exists and is not a zombie.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != Z ]]
}

cleanup() {
  # Never leave a service behind, whatever failed.
  if [[ -n "$pid" ]] && alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true # reaps it without bash's "Killed" job notice
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A port nothing listens on right now. Python's bind(0) asks the kernel; the bash fallback probes
# random high ports. Either way another process could take it before the service binds: rare, and
# then the start fails visibly.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  return 1
}

echo "smoke: building $PACKAGE"
cargo build -p "$PACKAGE"
# Same place cargo put it: CARGO_TARGET_DIR, .cargo/config build.target-dir or ./target.
target_dir="${CARGO_TARGET_DIR:-}"
if [[ -z "$target_dir" ]]; then
  target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
fi
binary="$target_dir/debug/$PACKAGE"
[[ -x "$binary" ]] || fail "no binary at $binary after cargo build -p $PACKAGE"

port="$(free_port)" || fail "could not find a free port"
addr="127.0.0.1:$port"
mkdir -p "$work/data"

echo "smoke: starting $binary on $addr"
ESTOSPACES_LISTEN="$addr" ESTOSPACES_DATA_DIR="$work/data" "$binary" </dev/null >"$service_log" 2>&1 &
pid=$!

deadline=$((SECONDS + START_TIMEOUT))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  alive "$pid" || fail "$PACKAGE exited before listening on $addr"
  ((SECONDS < deadline)) || fail "$PACKAGE did not listen on $addr within ${START_TIMEOUT}s"
  sleep 0.2
done

# Listening can precede readiness (e.g. migrations): allow a few seconds to report SERVING.
echo "smoke: grpc.health.v1.Health/Check"
deadline=$((SECONDS + 10))
while :; do
  health="$("$ESTOSPACES_GRPCURL" -plaintext -max-time 5 "$addr" grpc.health.v1.Health/Check 2>&1)" || true
  if grep -Eq '"status": *"SERVING"' <<<"$health"; then
    break
  fi
  alive "$pid" || fail "$PACKAGE exited during the health check"
  ((SECONDS < deadline)) || fail "health check did not report SERVING within 10s; grpcurl said: $health"
  sleep 0.5
done

echo "smoke: reflection lists $SERVICE"
services="$("$ESTOSPACES_GRPCURL" -plaintext -max-time 5 "$addr" list 2>&1)" ||
  fail "grpcurl list failed (is reflection v1alpha registered?): $services"
grep -qxF "$SERVICE" <<<"$services" || fail "grpcurl list does not include $SERVICE; it listed: $services"

echo "smoke: SIGTERM, expecting exit 0 within ${STOP_TIMEOUT}s"
kill -TERM "$pid"
deadline=$((SECONDS + STOP_TIMEOUT))
while alive "$pid"; do
  ((SECONDS < deadline)) || fail "$PACKAGE still running ${STOP_TIMEOUT}s after SIGTERM"
  sleep 0.1
done
status=0
wait "$pid" || status=$?
pid=""
((status == 0)) || fail "$PACKAGE exited with status $status after SIGTERM"

echo "smoke: identity OK"

# --- the platform ---------------------------------------------------------------------------------
readonly PLATFORM=estospaces
echo "smoke: building $PLATFORM"
cargo build -p "$PLATFORM"
binary="$target_dir/debug/$PLATFORM"
[[ -x "$binary" ]] || fail "no binary at $binary after cargo build -p $PLATFORM"
port="$(free_port)" || fail "could not find a free port"
addr="127.0.0.1:$port"
rm -rf "$work/data" && mkdir -p "$work/data"
service_log="$work/platform.log"

# GET/POST on the gateway with python's standard library (curl may be missing); prints the
# status code and the body.
http() {
  python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        print(response.status); print(response.read().decode())
except urllib.error.HTTPError as err:
    print(err.code); print(err.read().decode())
except Exception as err:
    print(0); print(err)
PY
}

echo "smoke: starting $binary on $addr"
ESTOSPACES_LISTEN="$addr" ESTOSPACES_DATA_DIR="$work/data" "$binary" </dev/null >"$service_log" 2>&1 &
pid=$!

echo "smoke: GET /readyz"
deadline=$((SECONDS + START_TIMEOUT))
until [[ "$(http GET "http://$addr/readyz" | head -1)" == 200 ]]; do
  alive "$pid" || fail "$PLATFORM exited before becoming ready"
  ((SECONDS < deadline)) || fail "$PLATFORM was not ready on $addr within ${START_TIMEOUT}s"
  sleep 0.2
done

echo "smoke: GET /openapi.json"
openapi="$(http GET "http://$addr/openapi.json")"
[[ "$(head -1 <<<"$openapi")" == 200 ]] && grep -q '/v1/properties' <<<"$openapi" ||
  fail "/openapi.json did not describe /v1/properties: $(head -c 300 <<<"$openapi")"

echo "smoke: grpcurl through the gateway (health, reflection)"
deadline=$((SECONDS + 10))
until health="$("$ESTOSPACES_GRPCURL" -plaintext -max-time 5 "$addr" grpc.health.v1.Health/Check 2>&1)" &&
  grep -Eq '"status": *"SERVING"' <<<"$health"; do
  ((SECONDS < deadline)) || fail "the gateway's gRPC health did not report SERVING within 10s: $health"
  sleep 0.5
done
services="$("$ESTOSPACES_GRPCURL" -plaintext -max-time 5 "$addr" list 2>&1)" || fail "grpcurl list failed: $services"
grep -qxF estospaces.booking.v1.BookingService <<<"$services" ||
  fail "reflection at the gateway does not list the booking service: $services"

echo "smoke: POST /v1/users:register"
registered="$(http POST "http://$addr/v1/users:register" '{"email":"smoke@example.com","password":"a long enough password"}')"
[[ "$(head -1 <<<"$registered")" == 201 ]] || fail "registering over REST answered: $registered"

echo "smoke: SIGTERM, expecting exit 0 within ${STOP_TIMEOUT}s"
kill -TERM "$pid"
deadline=$((SECONDS + STOP_TIMEOUT))
while alive "$pid"; do
  ((SECONDS < deadline)) || fail "$PLATFORM still running ${STOP_TIMEOUT}s after SIGTERM"
  sleep 0.1
done
status=0
wait "$pid" || status=$?
pid=""
((status == 0)) || fail "$PLATFORM exited with status $status after SIGTERM"

echo "smoke: OK"
