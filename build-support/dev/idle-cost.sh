#!/usr/bin/env bash
# What the single binary costs doing nothing: CPU over 10 s and resident memory, started on an
# empty data directory and left to settle first (docs/benchmarks.md, issue 25).
#
#   build-support/dev/idle-cost.sh [BINARY]     # default: target/release/estospaces
#
# CPU is utime + stime from /proc/<pid>/stat (clock ticks, 100 a second) as a share of one
# core; memory is VmRSS (and its anonymous part) after the 10 s.
set -euo pipefail

binary=${1:-${CARGO_TARGET_DIR:-target}/release/estospaces}
settle=${IDLE_SETTLE_SECONDS:-8}
window=${IDLE_WINDOW_SECONDS:-10}
dir=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
ESTOSPACES_DATA_DIR="$dir" ESTOSPACES_LISTEN="127.0.0.1:$port" "$binary" >"$dir/log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
sleep "$settle"
before=$(ticks)
sleep "$window"
after=$(ticks)
hz=$(getconf CLK_TCK)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
threads=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l)
awk -v t=$((after - before)) -v hz="$hz" -v w="$window" -v b="$binary" -v r="$rss" -v a="$anon" -v n="$threads" \
  'BEGIN { printf "%s: idle CPU %.1f %% of one core over %d s; RSS %.1f MiB = %.1f MB (%.1f MiB anonymous); %d threads\n", b, 100 * t / hz / w, w, r / 1024, r * 1.024 / 1000, a / 1024, n }'
