#!/usr/bin/env bash
# What each service's own binary costs doing nothing, started as the Helm chart runs them (each
# its own process and data directory; SQLite and the embedded log here, as a service alone has
# them by default), with the gateway in front (docs/benchmarks.md, issue 25). Prints each
# process's idle CPU over the window and its resident memory after it.
#
#   build-support/dev/mesh-idle-cost.sh [BINARY_DIR]    # default: target/release
set -euo pipefail

bin=${1:-${CARGO_TARGET_DIR:-target}/release}
settle=${IDLE_SETTLE_SECONDS:-8}
window=${IDLE_WINDOW_SECONDS:-10}
services=(identity profile media property payment booking search notification messaging review
  moderation leads project)
dir=$(mktemp -d)
declare -A port pid
for name in "${services[@]}" gateway; do
  port[$name]=$((20000 + RANDOM % 20000))
done
url() { echo "http://127.0.0.1:${port[$1]}"; }

# The addresses each binary needs, as the chart gives them (helm/estospaces/values.yaml).
needs() {
  case $1 in
    identity) ;;
    booking) echo "ESTOSPACES_BOOKING__PROPERTY_URL=$(url property)" ;;
    property) echo "ESTOSPACES_PROPERTY__MEDIA_URL=$(url media)" ;;
    profile) echo "ESTOSPACES_PROFILE__MEDIA_URL=$(url media)" ;;
    messaging) echo "ESTOSPACES_MESSAGING__PROPERTY_URL=$(url property)" \
      "ESTOSPACES_MESSAGING__MEDIA_URL=$(url media)" ;;
    review) echo "ESTOSPACES_REVIEW__PROPERTY_URL=$(url property)" ;;
    moderation) echo "ESTOSPACES_MODERATION__PROPERTY_URL=$(url property)" \
      "ESTOSPACES_MODERATION__REVIEW_URL=$(url review)" ;;
    leads) echo "ESTOSPACES_LEADS__PROPERTY_URL=$(url property)" \
      "ESTOSPACES_LEADS__PROFILE_URL=$(url profile)" ;;
    project) echo "ESTOSPACES_PROJECT__PROPERTY_URL=$(url property)" \
      "ESTOSPACES_PROJECT__MEDIA_URL=$(url media)" ;;
    notification) echo "ESTOSPACES_NOTIFICATION__PUBLIC_BASE_URL=$(url gateway)" ;;
    gateway) for name in "${services[@]}"; do
        echo "ESTOSPACES_GATEWAY__UPSTREAMS__${name^^}=$(url "$name")"
      done ;;
  esac
  if [ "$1" != identity ]; then echo "ESTOSPACES_AUTH__IDENTITY_URL=$(url identity)"; fi
}

stop() {
  for p in "${pid[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT

for name in "${services[@]}" gateway; do
  mkdir -p "$dir/$name"
  # shellcheck disable=SC2046 # one variable per word
  env $(needs "$name") ESTOSPACES_DATA_DIR="$dir/$name" \
    ESTOSPACES_LISTEN="127.0.0.1:${port[$name]}" NO_COLOR=1 \
    "$bin/estospaces-$name" >"$dir/$name.log" 2>&1 &
  pid[$name]=$!
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleep "$settle"
declare -A before
for name in "${!pid[@]}"; do
  if ! kill -0 "${pid[$name]}" 2>/dev/null; then
    echo "estospaces-$name exited:" >&2
    tail -n 20 "$dir/$name.log" >&2
    exit 1
  fi
  before[$name]=$(ticks "${pid[$name]}")
done
sleep "$window"
hz=$(getconf CLK_TCK)
total=0
for name in "${services[@]}" gateway; do
  p=${pid[$name]}
  t=$(($(ticks "$p") - before[$name]))
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
  anon=$(awk '/^RssAnon/ {print $2}' "/proc/$p/status")
  threads=$(find "/proc/$p/task" -mindepth 1 -maxdepth 1 | wc -l)
  total=$((total + rss))
  awk -v n="estospaces-$name" -v t="$t" -v hz="$hz" -v w="$window" -v r="$rss" -v a="$anon" -v th="$threads" \
    'BEGIN { printf "%-24s idle CPU %4.1f %%  RSS %5.1f MiB = %4.1f MB (%4.1f MiB anonymous)  %2d threads\n", n, 100 * t / hz / w, r / 1024, r * 1.024 / 1000, a / 1024, th }'
done
echo "all $((${#services[@]} + 1)) processes: RSS $((total / 1024)) MiB"
