#!/usr/bin/env bash
# A real Confluent-compatible schema registry: Apicurio Registry (its ccompat API) on
# 127.0.0.1:8081, fetched from Maven Central. In-memory storage: a restart forgets schemas.
#
#   scripts/servers/registry.sh fetch     resolve and unpack the app into .servers/apicurio-<version>
#   scripts/servers/registry.sh start     start (or reuse) the registry and wait until it serves
#   scripts/servers/registry.sh stop      stop the registry this script started
#   scripts/servers/registry.sh status    exit 0 when the ccompat API answers
#
# Apicurio 3.2+ needs Java 21+; when no such JDK is under /usr/lib/jvm (or JAVA_HOME), the
# script falls back to 3.0.x, which runs on Java 17.
# Environment: INLET_REGISTRY_VERSION, INLET_REGISTRY_PORT (8081), INLET_SERVERS_DIR.
# The Confluent-compatible base URL is http://127.0.0.1:<port>/apis/ccompat/v7.
set -euo pipefail

SERVER_NAME=registry
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REGISTRY_PORT="${INLET_REGISTRY_PORT:-8081}"
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"

if [ -n "${INLET_REGISTRY_JAVA_HOME:-}" ]; then
  REGISTRY_JAVA_HOME="$INLET_REGISTRY_JAVA_HOME"
else
  REGISTRY_JAVA_HOME="$(java_home_at_least 21 || true)"
fi
if [ -n "${INLET_REGISTRY_VERSION:-}" ]; then
  REGISTRY_VERSION="$INLET_REGISTRY_VERSION"
elif [ -n "$REGISTRY_JAVA_HOME" ]; then
  REGISTRY_VERSION=3.3.3
else
  REGISTRY_VERSION=3.0.9
fi
JAVA_BIN="${REGISTRY_JAVA_HOME:+$REGISTRY_JAVA_HOME/bin/}java"

HOME_DIR="$INLET_SERVERS_DIR/apicurio-$REGISTRY_VERSION"
RUN_DIR="$INLET_SERVERS_DIR/run/registry-$REGISTRY_PORT"
PID_FILE="$RUN_DIR/registry.pid"
LOG_FILE="$RUN_DIR/server.log"

# 3.0.x ships a legacy runner jar; later versions the fast-jar layout.
runner_jar() {
  local jar
  for jar in "$HOME_DIR/quarkus-run.jar" "$HOME_DIR"/apicurio-registry-app-*-runner.jar; do
    [ -f "$jar" ] && { printf '%s\n' "$jar"; return 0; }
  done
  return 0
}

answers() { curl -sf -o /dev/null --max-time 3 "$REGISTRY_URL/subjects"; }

fetch() {
  [ -n "$(runner_jar)" ] && return 0
  require_command mvn "install Maven (Debian: apt-get install maven)"
  log "resolving Apicurio Registry $REGISTRY_VERSION from Maven Central"
  local download="$HOME_DIR.download"
  rm -rf "$download" "$HOME_DIR"
  mkdir -p "$download"
  mvn -B -q dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" \
    -DoutputDirectory="$download" >&2 || die "Maven could not fetch apicurio-registry-app $REGISTRY_VERSION"
  mkdir -p "$HOME_DIR.partial"
  tar -xzf "$download"/*.tar.gz -C "$HOME_DIR.partial"
  mv "$HOME_DIR.partial" "$HOME_DIR"
  rm -rf "$download"
}

start() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/start.lock"
  flock 9
  if answers; then
    log "reusing the registry that answers at $REGISTRY_URL"
    return 0
  fi
  port_open 127.0.0.1 "$REGISTRY_PORT" && die "port $REGISTRY_PORT is taken by something that is not a schema registry"
  require_command curl "install curl (Debian: apt-get install curl)"
  "$JAVA_BIN" -version >/dev/null 2>&1 || die "no Java found for the registry (tried $JAVA_BIN)"
  fetch
  log "starting Apicurio Registry $REGISTRY_VERSION on 127.0.0.1:$REGISTRY_PORT"
  (
    cd "$RUN_DIR"
    QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$REGISTRY_PORT" \
      QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$((REGISTRY_PORT + 1))" QUARKUS_PROFILE=prod \
      nohup "$JAVA_BIN" -Xms128m -Xmx512m -XX:+ExitOnOutOfMemoryError \
      -jar "$(runner_jar)" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
    echo $! >"$PID_FILE"
  )
  local deadline=$((SECONDS + ${INLET_REGISTRY_START_TIMEOUT:-120}))
  until answers; do
    pid_alive "$PID_FILE" || { tail -n 30 "$LOG_FILE" >&2; die "the registry exited during start-up; log: $LOG_FILE"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$LOG_FILE" >&2; die "the registry did not answer within the timeout; log: $LOG_FILE"; }
    sleep 0.5
  done
  log "ready: SCHEMA_REGISTRY_URL=$REGISTRY_URL (pid $(cat "$PID_FILE"))"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop)
    if pid_alive "$PID_FILE"; then log "stopping pid $(cat "$PID_FILE")"; fi
    stop_pid "$PID_FILE" 30
    ;;
  status)
    if answers; then echo "registry: serving at $REGISTRY_URL"; else echo "registry: not answering at $REGISTRY_URL"; exit 1; fi
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ] || exit 2
    ;;
esac
