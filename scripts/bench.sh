#!/usr/bin/env bash
# npm run bench: Warren against a private reference RabbitMQ with the shared load generator.
#   BENCH_SET=throughput|quick|latency|conns|backlog|queues|all|S1..  (default throughput)
#   BENCH_PORT (default 5680), plus compare.sh's knobs (REPS, DURATION, ...: ../shared/bench/README.md)
# Builds, starts `warren server` on 127.0.0.1:BENCH_PORT with a fresh data dir, runs
# ../shared/bench/compare.sh, and writes into bench/results/:
#   compare-SET-STAMP.jsonl (raw runs), ratios-SET-STAMP.json (ratios), table-SET-STAMP.md (the table),
#   warren-SET-STAMP.log (Warren's log). Exits with compare.sh's status.
# Needs Go (golang-go) and rabbitmq-server; installs them with apt-get when missing and run as root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARED_BENCH=$(cd "$ROOT/.." && pwd)/shared/bench
SET=${BENCH_SET:-throughput}
PORT=${BENCH_PORT:-5680}
log() { echo "bench: $*" >&2; }

[ -x "$SHARED_BENCH/compare.sh" ] || { log "$SHARED_BENCH/compare.sh not found (shared/ must sit beside the repository)"; exit 1; }

# ---- tools ----
missing=()
command -v go > /dev/null || missing+=(golang-go)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v ss > /dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  else
    log "missing ${missing[*]}: install them (apt-get install -y ${missing[*]}) or run as root"; exit 1
  fi
fi

# ---- build and start Warren ----
npm run --silent build
if [ -n "$(ss -Hltn "sport = :$PORT")" ]; then log "port $PORT is in use (set BENCH_PORT)"; exit 1; fi
mkdir -p bench/results
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=bench/results
WLOG=$OUT/warren-$SET-$STAMP.log
DATA=$(mktemp -d -t warren-bench.XXXXXX)
WPID=
stop_warren() {
  if [ -n "$WPID" ] && [ -d "/proc/$WPID" ]; then
    kill -TERM "$WPID" 2> /dev/null || true
    for _ in $(seq 40); do [ -d "/proc/$WPID" ] || break; sleep 0.5; done
    [ -d "/proc/$WPID" ] && kill -KILL "$WPID" 2> /dev/null
  fi
  WPID=
  rm -rf "$DATA"
}
trap stop_warren EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# S7 opens thousands of connections: raise the descriptor limit for Warren (inherited)
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
node packages/cli/dist/main.js server --port "$PORT" --bind 127.0.0.1 --management-port 0 --prometheus-port 0 --data-dir "$DATA" > "$WLOG" 2>&1 &
WPID=$!
for _ in $(seq 120); do
  grep -qw ready "$WLOG" && break
  [ -d "/proc/$WPID" ] || { log "warren exited before it was ready:"; tail -n 20 "$WLOG" >&2; exit 1; }
  sleep 0.5
done
grep -qw ready "$WLOG" || { log "warren not ready after 60 s:"; tail -n 20 "$WLOG" >&2; exit 1; }
log "warren (pid $WPID) ready on port $PORT; set $SET; results in $OUT/*-$SET-$STAMP.*"

# ---- compare ----
set +e
RATIOS_OUT=$OUT/ratios-$SET-$STAMP.json RESULTS=$OUT/compare-$SET-$STAMP.jsonl \
  "$SHARED_BENCH/compare.sh" "$SET" "amqp://guest:guest@127.0.0.1:$PORT/" "$WPID" warren | tee "$OUT/table-$SET-$STAMP.md"
rc=${PIPESTATUS[0]}
set -e
[ -d "/proc/$WPID" ] || { log "warren died during the run:"; tail -n 20 "$WLOG" >&2; }
exit "$rc"
