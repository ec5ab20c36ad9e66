#!/usr/bin/env bash
# The browser test's driver, run by gateway/tests/api/browser.rs:
#
#   gateway/web-test/run.sh <descriptor-set.binpb> <gateway-url> [page] [query]
#
# `page` is the script under src/ to run (default `app`, the gateway's own test); `query` is
# added to the page's URL for the script to read (`&host=...`).
#
# Installs what is missing (Debian's chromium, the locked npm packages), generates the TypeScript
# client from the descriptor set with buf, bundles the page with esbuild and runs it in headless
# Chromium. Prints the page's result as the last line of stdout.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
descriptors="$1"
gateway="$2"
page="${3:-app}"
query="${4:-}"

# One run at a time: npm ci and buf generate rewrite this directory.
exec 9>".run.lock"
flock -x 9

if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
  echo "web-test: installing chromium from Debian" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.estospaces-installed-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  echo "web-test: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi

rm -rf gen dist
node_modules/.bin/buf generate "$descriptors" >&2
node_modules/.bin/esbuild "src/$page.ts" --bundle --format=esm --target=es2022 \
  --outfile=dist/app.js --log-level=warning >&2
node run.mjs "$gateway" "$query"
