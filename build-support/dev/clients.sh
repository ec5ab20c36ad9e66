#!/usr/bin/env bash
# The client SDKs under clients/: their toolchains, generation from proto/, and their tours.
#
#   build-support/dev/clients.sh install          # npm ci (TypeScript) and the Python venv, once
#   build-support/dev/clients.sh generate         # buf generate (buf.gen.yaml) into clients/
#   build-support/dev/clients.sh check            # fails when regenerating would change clients/
#   build-support/dev/clients.sh build-ts         # tsc: clients/typescript/dist
#   build-support/dev/clients.sh tour-ts <gateway> [grpc|grpc-web]...   # default: both
#   build-support/dev/clients.sh tour-py <gateway>
#
# <gateway> is the gateway's URL (http://127.0.0.1:50051) of a running, seeded platform (the
# tours log in as the seed's demo operator). Installs are cached and redone only when what pins
# them changes: clients/typescript/node_modules follows clients/typescript/package-lock.json (npm
# ci; npm's own cache makes a reinstall offline-fast), the venv under
# $ESTOSPACES_CACHE/tools/clients-venv follows clients/python/requirements-dev.txt; buf comes
# from build-support/dev/tools.sh. Concurrent runs (the platform tests run in parallel) take
# turns on installs and builds, not on tours.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build-support/dev/tools.sh
source "$repo_root/build-support/dev/tools.sh"
cd "$repo_root"

readonly TS_DIR=clients/typescript
readonly PY_DIR=clients/python
readonly CLIENTS_VENV="$ESTOSPACES_TOOLS/clients-venv"
# What buf generate writes: committed, so `check` compares exactly these. The Python plugins
# also write google/api and google/rpc, which the package takes from googleapis-common-protos.
readonly GENERATED=("$TS_DIR/src/gen" "$PY_DIR/gen")
# Each README's tour is its script, word for word: `generate` copies the script into the fenced
# block after the README's `<!-- tour: <script> ... -->` line, `check` compares them.
readonly TOURS=("$TS_DIR/README.md:$TS_DIR/examples/tour.ts" "$PY_DIR/README.md:$PY_DIR/examples/tour.py")
export ESTOSPACES_PYTHON="$CLIENTS_VENV/bin/python"

log() { printf 'clients: %s\n' "$*" >&2; }

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Runs "$@" holding the clients' lock (installs, generation and builds rewrite shared files).
locked() {
  mkdir -p "$ESTOSPACES_TOOLS"
  (
    flock -x 9
    "$@"
  ) 9>"$ESTOSPACES_TOOLS/.clients.lock"
}

_install_ts() {
  local stamp="$TS_DIR/node_modules/.estospaces-installed-lock"
  command -v npm >/dev/null 2>&1 || { log "npm is required (apt-get install -y nodejs npm)"; return 1; }
  if ! cmp -s "$TS_DIR/package-lock.json" "$stamp" 2>/dev/null; then
    log "npm ci in $TS_DIR"
    npm ci --prefix "$TS_DIR" --no-audit --no-fund --loglevel=error >&2
    cp "$TS_DIR/package-lock.json" "$stamp"
  fi
}

_install_py() {
  local stamp="$CLIENTS_VENV/.estospaces-requirements"
  if [[ ! -x "$CLIENTS_VENV/bin/pip" ]]; then
    log "creating $CLIENTS_VENV"
    python3 -m venv "$CLIENTS_VENV" >&2 || { log "python3 -m venv failed (apt-get install -y python3-venv)"; return 1; }
  fi
  if ! cmp -s "$PY_DIR/requirements-dev.txt" "$stamp" 2>/dev/null; then
    log "pip install -r $PY_DIR/requirements-dev.txt into $CLIENTS_VENV"
    "$CLIENTS_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$PY_DIR/requirements-dev.txt" >&2
    cp "$PY_DIR/requirements-dev.txt" "$stamp"
  fi
}

install_all() {
  estospaces_ensure_buf
  locked _install_ts
  locked _install_py
}

# buf generate with buf.gen.yaml, into `base` (the repository, or a scratch directory that
# mirrors its layout); drops the google/ packages the Python plugins write.
_generate_into() {
  local base="$1"
  "$ESTOSPACES_BUF" generate --template buf.gen.yaml -o "$base" >&2
  rm -rf "$base/$PY_DIR/gen/google"
}

# The fenced block after the `<!-- tour:` line of README $1.
_readme_tour() {
  awk '/^<!-- tour: / { inside = 1; getline; next } inside && /^```$/ { exit } inside { print }' "$1"
}

# Copies each tour script into its README.
_sync_readme_tours() {
  local pair readme script
  for pair in "${TOURS[@]}"; do
    readme="${pair%%:*}" script="${pair#*:}"
    awk -v script="$script" '
      /^<!-- tour: / { print; getline; print; while ((getline line < script) > 0) print line; skipping = 1; next }
      skipping && /^```$/ { skipping = 0 }
      !skipping { print }
    ' "$readme" >"$readme.tmp"
    mv "$readme.tmp" "$readme"
  done
}

generate() {
  install_all
  locked _generate_into .
  _sync_readme_tours
  log "generated ${GENERATED[*]}; copied the tours into their READMEs"
}

check() {
  install_all
  local scratch status=0 dir
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/estospaces-clients.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $scratch is local
  trap "rm -rf '$scratch'" EXIT
  _generate_into "$scratch"
  for dir in "${GENERATED[@]}"; do
    if ! diff -r "$scratch/$dir" "$dir" >"$scratch/diff.txt" 2>&1; then
      log "$dir differs from what buf.gen.yaml generates from proto/:"
      head -n 40 "$scratch/diff.txt" >&2
      status=1
    fi
  done
  local pair readme script
  for pair in "${TOURS[@]}"; do
    readme="${pair%%:*}" script="${pair#*:}"
    if ! _readme_tour "$readme" | diff - "$script" >"$scratch/diff.txt" 2>&1; then
      log "the tour in $readme is not $script:"
      head -n 40 "$scratch/diff.txt" >&2
      status=1
    fi
  done
  if ((status != 0)); then
    log "run build-support/dev/clients.sh generate and commit the result"
    return 1
  fi
  echo "clients: generated code is up to date (${GENERATED[*]}), and so are the READMEs' tours"
}

_build_ts() {
  log "tsc in $TS_DIR"
  rm -rf "$TS_DIR/dist"
  npm run --prefix "$TS_DIR" --silent build >&2
}

build_ts() {
  locked _install_ts
  locked _build_ts
}

tour_ts() {
  (($# >= 1)) || usage
  local gateway="$1" protocol
  shift
  (($# > 0)) || set -- grpc grpc-web
  build_ts
  for protocol in "$@"; do
    log "TypeScript tour over $protocol against $gateway"
    node "$TS_DIR/dist/examples/tour.js" "$gateway" "$protocol"
  done
}

# Installs clients/python into the venv as a user's pip would (from a scratch copy, so the
# build leaves nothing in the working tree).
_install_py_package() {
  local scratch
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/estospaces-clients-py.XXXXXX")"
  (
    trap 'rm -rf "$scratch"' EXIT
    cp -r "$PY_DIR/pyproject.toml" "$PY_DIR/README.md" "$PY_DIR/src" "$PY_DIR/gen" "$scratch/"
    "$CLIENTS_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
      --force-reinstall "$scratch" >&2
  )
  # Its declared requirements (grpcio, protobuf, googleapis-common-protos) hold in the venv.
  "$CLIENTS_VENV/bin/pip" check --disable-pip-version-check >&2
}

tour_py() {
  (($# == 1)) || usage
  locked _install_py
  locked _install_py_package
  log "Python tour over grpc against $1"
  # From outside the repository, so `import estospaces` is the installed package.
  (cd / && "$CLIENTS_VENV/bin/python" "$repo_root/$PY_DIR/examples/tour.py" "$1")
}

(($# >= 1)) || usage
command="$1"
shift
case "$command" in
  install) install_all ;;
  generate) generate ;;
  check) check ;;
  build-ts) build_ts ;;
  tour-ts) tour_ts "$@" ;;
  tour-py) tour_py "$@" ;;
  *) usage ;;
esac
