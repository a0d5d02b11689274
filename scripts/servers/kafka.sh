#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, single node: broker + controller) on 127.0.0.1, assembled
# from Maven Central jars. Used by the integration tests, CI, examples and benchmarks.
#
#   scripts/servers/kafka.sh fetch     resolve the jars into .servers/kafka-<version>/libs (cached)
#   scripts/servers/kafka.sh libs      fetch, then print the libs directory (a Java classpath)
#   scripts/servers/kafka.sh pid       print the pid of the broker this script started
#   scripts/servers/kafka.sh start     start (or reuse) the broker and wait until it serves
#   scripts/servers/kafka.sh stop      stop the broker we started (clean shutdown), keep its data
#   scripts/servers/kafka.sh kill      SIGKILL the broker (for fault tests), keep its data
#   scripts/servers/kafka.sh restart   stop + start, keeping data
#   scripts/servers/kafka.sh status    exit 0 when a broker answers on the port
#   scripts/servers/kafka.sh reset     stop and delete data (the next start formats fresh storage)
#
# Environment: INLET_KAFKA_VERSION (default below), INLET_KAFKA_PORT (9092; the controller
# listens on port+1), INLET_KAFKA_HEAP (JVM heap flags), INLET_SERVERS_DIR (.servers).
set -euo pipefail

SERVER_NAME=kafka
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# 4.4.0: the newest Kafka; kafkajs 2.2.4 passes the whole compatibility check against it (README).
KAFKA_VERSION="${INLET_KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${INLET_KAFKA_PORT:-9092}"
CONTROLLER_PORT=$((KAFKA_PORT + 1))
KAFKA_HEAP="${INLET_KAFKA_HEAP:--Xms256m -Xmx768m}"

HOME_DIR="$INLET_SERVERS_DIR/kafka-$KAFKA_VERSION"
LIBS_DIR="$HOME_DIR/libs"
RUN_DIR="$INLET_SERVERS_DIR/run/kafka-$KAFKA_PORT"
DATA_DIR="$RUN_DIR/data"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/server.log"
POM="$(dirname "${BASH_SOURCE[0]}")/maven/kafka.pom.xml"

case "$KAFKA_VERSION" in
  3.*) LOGGING_PROFILE=reload4j ;;
  *) LOGGING_PROFILE=log4j2 ;;
esac

fetch() {
  if [ -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ] && [ -f "$LIBS_DIR/kafka-tools-$KAFKA_VERSION.jar" ]; then
    return 0
  fi
  require_command java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)"
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central"
  maven_copy_dependencies "$POM" "$LIBS_DIR" -Dkafka.version="$KAFKA_VERSION" -P"$LOGGING_PROFILE"
}

write_config() {
  mkdir -p "$RUN_DIR"
  cat >"$RUN_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR
num.partitions=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
num.io.threads=4
num.network.threads=2
EOF
  if [ "$LOGGING_PROFILE" = log4j2 ]; then
    cat >"$RUN_DIR/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
EOF
  else
    cat >"$RUN_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
  fi
}

java_logging_flag() {
  if [ "$LOGGING_PROFILE" = log4j2 ]; then
    printf '%s' "-Dlog4j2.configurationFile=$RUN_DIR/log4j2.properties"
  else
    printf '%s' "-Dlog4j.configuration=file:$RUN_DIR/log4j.properties"
  fi
}

format_storage() {
  [ -f "$DATA_DIR/meta.properties" ] && return 0
  local cluster_id
  cluster_id="$(java -cp "$LIBS_DIR/*" "$(java_logging_flag)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  [ -n "$cluster_id" ] || die "could not generate a cluster id (kafka.tools.StorageTool random-uuid)"
  log "formatting KRaft storage in $DATA_DIR (cluster $cluster_id)"
  java -cp "$LIBS_DIR/*" "$(java_logging_flag)" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$RUN_DIR/server.properties" >>"$LOG_FILE" 2>&1 ||
    die "formatting storage failed; see $LOG_FILE"
}

wait_until_serving() {
  local deadline=$((SECONDS + ${INLET_KAFKA_START_TIMEOUT:-120}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    pid_alive "$PID_FILE" || { tail -n 40 "$LOG_FILE" >&2; die "the broker exited during start-up; log: $LOG_FILE"; }
    if grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null &&
      node "$INLET_ROOT/scripts/servers/probe-kafka.mjs" "127.0.0.1:$KAFKA_PORT"; then
      return 0
    fi
    sleep 0.5
  done
  tail -n 40 "$LOG_FILE" >&2
  die "the broker did not answer on 127.0.0.1:$KAFKA_PORT within ${INLET_KAFKA_START_TIMEOUT:-120}s; log: $LOG_FILE"
}

start() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/start.lock"
  flock 9
  if pid_alive "$PID_FILE"; then
    if node "$INLET_ROOT/scripts/servers/probe-kafka.mjs" "127.0.0.1:$KAFKA_PORT"; then
      log "reusing the running broker (pid $(cat "$PID_FILE")) on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    wait_until_serving
    return 0
  fi
  if port_open 127.0.0.1 "$KAFKA_PORT"; then
    if node "$INLET_ROOT/scripts/servers/probe-kafka.mjs" "127.0.0.1:$KAFKA_PORT"; then
      log "a Kafka broker not started by this script already answers on 127.0.0.1:$KAFKA_PORT; using it"
      return 0
    fi
    die "port $KAFKA_PORT is taken by something that is not a Kafka broker"
  fi
  require_command java "install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)"
  require_command node "install Node.js 20+"
  fetch
  write_config
  format_storage
  log "starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true "$(java_logging_flag)" -cp "$LIBS_DIR/*" \
    kafka.Kafka "$RUN_DIR/server.properties" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  echo $! >"$PID_FILE"
  wait_until_serving
  log "ready: KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT (pid $(cat "$PID_FILE"))"
}

stop() {
  if ! pid_alive "$PID_FILE"; then
    log "not running (nothing started by this script on port $KAFKA_PORT)"
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping pid $(cat "$PID_FILE")"
  stop_pid "$PID_FILE" 60
}

case "${1:-}" in
  fetch) fetch ;;
  libs) fetch && echo "$LIBS_DIR" ;;
  pid) pid_alive "$PID_FILE" && cat "$PID_FILE" ;;
  start) start ;;
  stop) stop ;;
  kill) kill_pid "$PID_FILE" ;;
  restart) stop && start ;;
  status)
    if node "$INLET_ROOT/scripts/servers/probe-kafka.mjs" "127.0.0.1:$KAFKA_PORT"; then
      echo "kafka: serving on 127.0.0.1:$KAFKA_PORT$(pid_alive "$PID_FILE" && echo " (pid $(cat "$PID_FILE"))")"
    else
      echo "kafka: not answering on 127.0.0.1:$KAFKA_PORT"
      exit 1
    fi
    ;;
  reset) stop && rm -rf "$RUN_DIR" && log "deleted $RUN_DIR" ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ] || exit 2
    ;;
esac
