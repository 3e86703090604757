#!/usr/bin/env bash
# Cost of message statistics on throughput: Warren with stats on (and the management API's
# sampler running) against Warren with --stats off, interleaved by ../shared/bench/compare.sh.
#   BENCH_SET (default S1), REPS (default 3), BENCH_PORT (default 5690; uses PORT and PORT+1),
#   MGMT_PORT (default 15690) plus compare.sh's knobs.
# Writes bench/results/stats-cost-SET-STAMP.{jsonl,md,json}.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARED_BENCH=$(cd "$ROOT/.." && pwd)/shared/bench
SET=${BENCH_SET:-S1}
ON_PORT=${BENCH_PORT:-5690}
OFF_PORT=$((ON_PORT + 1))
MGMT_PORT=${MGMT_PORT:-15690}
export REPS=${REPS:-3}
log() { echo "bench-stats: $*" >&2; }

npm run --silent build
mkdir -p bench/results
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=bench/results
PIDS=()
DIRS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 40); do [ -d "/proc/$p" ] || break; sleep 0.5; done; done
  for d in "${DIRS[@]}"; do rm -rf "$d"; done
  rm -f "$OUT"/stats-on-"$STAMP".log "$OUT"/stats-off-"$STAMP".log
}
trap cleanup EXIT

STARTED=
start() { # PORT LOG ARGS... → sets STARTED (not a subshell: PIDS must reach the exit trap)
  local port=$1 wlog=$2; shift 2
  local data; data=$(mktemp -d -t warren-stats.XXXXXX); DIRS+=("$data")
  node packages/cli/dist/main.js server --port "$port" --bind 127.0.0.1 --prometheus-port 0 --data-dir "$data" "$@" > "$wlog" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
  for _ in $(seq 120); do grep -qw ready "$wlog" && break; sleep 0.5; done
  grep -qw ready "$wlog" || { log "warren on $port not ready"; tail -n 20 "$wlog" >&2; exit 1; }
}
start "$ON_PORT" "$OUT/stats-on-$STAMP.log" --stats on --management-port "$MGMT_PORT"
ON_PID=$STARTED
start "$OFF_PORT" "$OUT/stats-off-$STAMP.log" --stats off --management-port 0
OFF_PID=$STARTED
log "stats on: pid $ON_PID port $ON_PORT (management $MGMT_PORT); stats off: pid $OFF_PID port $OFF_PORT"

REF_URL="amqp://guest:guest@127.0.0.1:$OFF_PORT/" REF_PID=$OFF_PID REF_LABEL="warren --stats off" \
  RATIOS_OUT=$OUT/stats-cost-$SET-$STAMP.json RESULTS=$OUT/stats-cost-$SET-$STAMP.jsonl \
  "$SHARED_BENCH/compare.sh" "$SET" "amqp://guest:guest@127.0.0.1:$ON_PORT/" "$ON_PID" "warren --stats on" | tee "$OUT/stats-cost-$SET-$STAMP.md"
