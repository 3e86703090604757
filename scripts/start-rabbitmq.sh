#!/usr/bin/env bash
# Starts a private RabbitMQ node (Debian's rabbitmq-server) listening on 127.0.0.1 only, with all of
# its state (mnesia, logs, Erlang cookie) under STATE_DIR, for the client tests.
#   scripts/start-rabbitmq.sh STATE_DIR AMQP_PORT DIST_PORT
# Node name: warren<AMQP_PORT>@localhost. Prints the node's (beam.smp) PID once it accepts AMQP
# connections; exits 1 with the tail of its log if it is not up within START_TIMEOUT s (default 90).
# rabbitmqctl talks to it with: HOME=STATE_DIR/home rabbitmqctl -n warren<AMQP_PORT>@localhost ...
# Stop it with: kill <printed PID> (SIGTERM stops the node cleanly).
set -eu
DIR=${1:?usage: start-rabbitmq.sh STATE_DIR AMQP_PORT DIST_PORT}
PORT=${2:?AMQP port}
DIST=${3:?Erlang distribution port}
WAIT=${START_TIMEOUT:-90}
SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
if [ ! -x "$SERVER" ]; then
  echo "RabbitMQ is not installed ($SERVER missing): apt-get install -y rabbitmq-server" >&2
  exit 1
fi
mkdir -p "$DIR/mnesia" "$DIR/log" "$DIR/home"
DIR=$(cd "$DIR" && pwd)
NODE=warren$PORT@localhost
echo "[]." > "$DIR/enabled_plugins"
cat > "$DIR/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$PORT
loopback_users = none
log.console = false
log.file.level = warning
CONF
rm -f "$DIR/pid"
(
  cd "$DIR"
  export HOME=$DIR/home RABBITMQ_NODENAME=$NODE RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$PORT \
    RABBITMQ_DIST_PORT=$DIST RABBITMQ_MNESIA_BASE=$DIR/mnesia RABBITMQ_LOG_BASE=$DIR/log \
    RABBITMQ_CONFIG_FILE=$DIR/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$DIR/enabled_plugins \
    RABBITMQ_PID_FILE=$DIR/pid ERL_CRASH_DUMP=$DIR/erl_crash.dump
  setsid "$SERVER" > "$DIR/stdout.log" 2>&1 < /dev/null &
  echo $! > "$DIR/launcher.pid"
)
LAUNCHER=$(cat "$DIR/launcher.pid")
is_alive() { [ -n "$1" ] && [ -d "/proc/$1" ]; }
accepts() { # something listens on the AMQP port, owned by our node where ss can tell
  local line
  line=$(ss -Hltnp "sport = :$PORT" 2> /dev/null) || return 1
  [ -n "$line" ] || return 1
  case $line in *pid=*) case $line in *"pid=$1,"*) return 0 ;; *) return 1 ;; esac ;; esac
}
PID=
for _ in $(seq $((WAIT * 4))); do
  PID=$(cat "$DIR/pid" 2> /dev/null || true)
  if is_alive "$PID"; then
    if accepts "$PID"; then echo "$PID"; exit 0; fi
  elif [ -n "$PID" ] || ! is_alive "$LAUNCHER"; then
    break
  fi
  sleep 0.25
done
echo "RabbitMQ node $NODE did not start on 127.0.0.1:$PORT within ${WAIT}s; tail of $DIR/stdout.log:" >&2
tail -n 30 "$DIR/stdout.log" >&2 || true
if is_alive "$PID"; then kill "$PID" 2> /dev/null || true; fi
for child in $(ps -o pid= --ppid "$LAUNCHER" 2> /dev/null); do kill "$child" 2> /dev/null || true; done
if is_alive "$LAUNCHER"; then kill "$LAUNCHER" 2> /dev/null || true; fi
exit 1
