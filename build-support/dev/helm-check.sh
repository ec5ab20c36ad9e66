#!/usr/bin/env bash
# Lints and renders the Helm chart and validates every manifest against the Kubernetes schemas.
#
#   build-support/dev/helm-check.sh
#
# There is no helm binary in the registries CI can reach, so the tools come from PyPI:
# helm-python-sdk (the Helm v4 SDK: render and lint) and kubernetes-validate (Kubernetes' JSON
# schemas). They live in a venv under the tools cache, installed once. helm_check.py does the work.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=build-support/dev/tools.sh
source build-support/dev/tools.sh

HELM_PYTHON_SDK_VERSION=0.2.2
KUBERNETES_VALIDATE_VERSION=1.37.0
venv="$ESTOSPACES_TOOLS/helm-venv"

_helm_tools_ok() {
  [[ -x "$venv/bin/python" && -x "$venv/bin/kubernetes-validate" ]] &&
    "$venv/bin/python" - "$HELM_PYTHON_SDK_VERSION" "$KUBERNETES_VALIDATE_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if [version("helm-python-sdk"), version("kubernetes-validate")] == sys.argv[1:] else 1)
PY
}

_install_helm_tools() {
  _helm_tools_ok && return 0
  _estospaces_log "installing helm-python-sdk $HELM_PYTHON_SDK_VERSION and kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI)"
  if [[ ! -x "$venv/bin/pip" ]]; then
    python3 -m venv "$venv" >&2 || { _estospaces_log "python3 -m venv failed (apt-get install -y python3-venv)"; return 1; }
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "helm-python-sdk==$HELM_PYTHON_SDK_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2 || return 1
  _helm_tools_ok || { _estospaces_log "the helm tools did not install correctly"; return 1; }
}

_helm_tools_ok || _estospaces_locked _install_helm_tools

exec "$venv/bin/python" build-support/dev/helm_check.py
