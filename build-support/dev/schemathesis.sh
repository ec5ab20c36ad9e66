#!/usr/bin/env bash
# A REST fuzzer against the gateway's own description of itself: schemathesis (PyPI, pinned)
# generates requests for every operation of `<gateway>/openapi.json` and checks that none gets a
# 5xx and that every response matches the document.
#
#   build-support/dev/schemathesis.sh install               # the venv, once
#   build-support/dev/schemathesis.sh run <gateway> [schemathesis options]...
#
# <gateway> is the gateway's URL (http://127.0.0.1:8080) of a running platform. With
# ESTOSPACES_FUZZ_TOKEN set, every request carries it as a bearer token, so operations that need
# one get past authentication. The run is reproducible: a fixed seed, a bounded number of
# examples per operation (ESTOSPACES_FUZZ_MAX_EXAMPLES, 10) and a time limit
# (ESTOSPACES_FUZZ_TIMEOUT seconds, 240). ESTOSPACES_FUZZ_REPORT_DIR keeps schemathesis' JUnit
# report and a pytest file reproducing each failure. The venv lives under
# $ESTOSPACES_CACHE/tools/schemathesis-venv and is reinstalled only when the pin changes.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build-support/dev/tools.sh
source "$repo_root/build-support/dev/tools.sh"

readonly SCHEMATHESIS_VERSION=4.32.5
readonly VENV="$ESTOSPACES_TOOLS/schemathesis-venv"
readonly SEED=20261205
# What the run checks: no server error, every response as documented.
readonly CHECKS=not_a_server_error,response_schema_conformance

log() { printf 'schemathesis: %s\n' "$*" >&2; }

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

_install() {
  local stamp="$VENV/.estospaces-installed"
  if [[ "$(cat "$stamp" 2>/dev/null)" == "$SCHEMATHESIS_VERSION" ]]; then
    return 0
  fi
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2 || { log "python3 -m venv failed (apt-get install -y python3-venv)"; return 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  printf '%s' "$SCHEMATHESIS_VERSION" >"$stamp"
}

install() {
  _estospaces_locked _install
}

run() {
  (($# >= 1)) || usage
  local gateway="${1%/}"
  shift
  install
  local args=(
    run "$gateway/openapi.json"
    --checks "$CHECKS"
    --max-examples "${ESTOSPACES_FUZZ_MAX_EXAMPLES:-10}"
    --seed "$SEED"
    --generation-deterministic
    --phases examples,coverage,fuzzing
    # One worker: hypothesis describes strategies with ast.parse, which CPython 3.11 does not
    # survive from two threads at once ("AST constructor recursion depth mismatch").
    --workers 1
    --request-timeout 10
    --suppress-health-check all
    --no-color
    --output-truncate false
    # Server streams (StreamNotifications, StreamConversationEvents) stay open until the client
    # leaves: every call would end in the request timeout, so they are not fuzzed.
    --exclude-operation-id-regex '_Stream[A-Z]'
  )
  if [[ -n "${ESTOSPACES_FUZZ_TOKEN:-}" ]]; then
    args+=(--header "Authorization: Bearer $ESTOSPACES_FUZZ_TOKEN")
  fi
  if [[ -n "${ESTOSPACES_FUZZ_REPORT_DIR:-}" ]]; then
    args+=(--report junit,pytest --report-dir "$(realpath -m "$ESTOSPACES_FUZZ_REPORT_DIR")")
  fi
  log "schemathesis ${args[*]:0:2} ... $* (seed $SEED)"
  # Schemathesis keeps a cache (.schemathesis/) in its working directory: not the repository's.
  SCRATCH="$(mktemp -d)"
  trap 'rm -rf "$SCRATCH"' EXIT
  cd "$SCRATCH"
  timeout --kill-after=10 "${ESTOSPACES_FUZZ_TIMEOUT:-240}" "$VENV/bin/schemathesis" "${args[@]}" "$@"
}

case "${1:-}" in
  install) install ;;
  run)
    shift
    run "$@"
    ;;
  *) usage ;;
esac
