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
#   scripts/servers/kafka.sh freeze    SIGSTOP the broker (for fault tests): its sockets stay open, nothing answers
#   scripts/servers/kafka.sh thaw      SIGCONT a frozen broker
#   scripts/servers/kafka.sh restart   stop + start, keeping data
#   scripts/servers/kafka.sh status    exit 0 when a broker answers on the port
#   scripts/servers/kafka.sh reset     stop and delete data (the next start formats fresh storage)
#   scripts/servers/kafka.sh tls-ca    print the path of the CA certificate (PEM) of the SSL listener
#
# Listeners, all on 127.0.0.1 (port = INLET_KAFKA_PORT, default 9092):
#   port     PLAINTEXT
#   port+1   CONTROLLER (KRaft)
#   port+2   SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
#   port+3   SSL (server certificate only; no client certificates)
# Test credentials for every SASL mechanism: user "inlet-test", password "inlet-test-secret".
# They guard nothing: the broker only listens on 127.0.0.1 and PLAINTEXT needs no login at all.
# The SSL listener's certificate is signed by a throw-away CA made once with openssl under
# $INLET_SERVERS_DIR/tls/kafka (valid for IP 127.0.0.1 and DNS localhost, any port).
#
# Environment: INLET_KAFKA_VERSION (default below), INLET_KAFKA_PORT (9092), INLET_KAFKA_HEAP
# (JVM heap flags), INLET_SERVERS_DIR (.servers).
set -euo pipefail

SERVER_NAME=kafka
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# 4.4.0: the newest Kafka; kafkajs 2.2.4 passes the whole compatibility check against it (README).
KAFKA_VERSION="${INLET_KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${INLET_KAFKA_PORT:-9092}"
CONTROLLER_PORT=$((KAFKA_PORT + 1))
SASL_PORT=$((KAFKA_PORT + 2))
SSL_PORT=$((KAFKA_PORT + 3))
SASL_USER=inlet-test
SASL_PASSWORD=inlet-test-secret
KAFKA_HEAP="${INLET_KAFKA_HEAP:--Xms256m -Xmx768m}"

HOME_DIR="$INLET_SERVERS_DIR/kafka-$KAFKA_VERSION"
LIBS_DIR="$HOME_DIR/libs"
RUN_DIR="$INLET_SERVERS_DIR/run/kafka-$KAFKA_PORT"
DATA_DIR="$RUN_DIR/data"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/server.log"
POM="$(dirname "${BASH_SOURCE[0]}")/maven/kafka.pom.xml"
TLS_DIR="$INLET_SERVERS_DIR/tls/kafka"
TLS_STORE_PASSWORD=inlet-test-store
# Written into the data directory once its SCRAM users exist. A data directory from before the
# SASL listener lacks it; start then adds the users to the running broker (no data is lost).
SCRAM_MARKER="$DATA_DIR/.inlet-scram-users"

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
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,SSL://127.0.0.1:$SSL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,SSL://127.0.0.1:$SSL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.location=$TLS_DIR/broker.p12
listener.name.ssl.ssl.keystore.password=$TLS_STORE_PASSWORD
listener.name.ssl.ssl.key.password=$TLS_STORE_PASSWORD
listener.name.ssl.ssl.client.auth=none
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
  local cluster_id scram_256 scram_512
  cluster_id="$(java -cp "$LIBS_DIR/*" "$(java_logging_flag)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  [ -n "$cluster_id" ] || die "could not generate a cluster id (kafka.tools.StorageTool random-uuid)"
  log "formatting KRaft storage in $DATA_DIR (cluster $cluster_id, SCRAM user $SASL_USER)"
  scram_256="SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]"
  scram_512="SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]"
  java -cp "$LIBS_DIR/*" "$(java_logging_flag)" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$RUN_DIR/server.properties" \
    --add-scram "$scram_256" --add-scram "$scram_512" >>"$LOG_FILE" 2>&1 ||
    die "formatting storage failed; see $LOG_FILE"
  touch "$SCRAM_MARKER"
}

# For a data directory formatted before the SASL listener existed: add the SCRAM users through
# the running broker (AlterUserScramCredentials), once.
ensure_scram_users() {
  [ -f "$SCRAM_MARKER" ] && return 0
  local config_command=org.apache.kafka.tools.ConfigCommand
  case "$KAFKA_VERSION" in 3.*) config_command=kafka.admin.ConfigCommand ;; esac
  log "adding SCRAM user $SASL_USER to storage formatted without it"
  local mechanism
  # One mechanism per call: the broker refuses two changes to one user in a single request.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    java -cp "$LIBS_DIR/*" "$(java_logging_flag)" "$config_command" \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter --entity-type users --entity-name "$SASL_USER" \
      --add-config "$mechanism=[password=$SASL_PASSWORD]" >>"$LOG_FILE" 2>&1 ||
      die "adding the SCRAM users failed; see $LOG_FILE (or: scripts/servers/kafka.sh reset, then start)"
  done
  touch "$SCRAM_MARKER"
}

# A CA and a broker certificate for the SSL listener, made once and shared by every port.
ensure_tls() {
  [ -f "$TLS_DIR/broker.p12" ] && [ -f "$TLS_DIR/ca.pem" ] && return 0
  require_command openssl "install OpenSSL (Debian: apt-get install openssl)"
  mkdir -p "$(dirname "$TLS_DIR")"
  exec 8>"$TLS_DIR.lock"
  flock 8
  if [ -f "$TLS_DIR/broker.p12" ] && [ -f "$TLS_DIR/ca.pem" ]; then
    exec 8>&-
    return 0
  fi
  local tmp="$TLS_DIR.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "making a test CA and broker certificate in $TLS_DIR"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Inlet test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$tmp/ca-key.pem" -out "$tmp/ca.pem" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tmp/broker-key.pem" -out "$tmp/broker.csr" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
        >"$tmp/broker.ext" &&
      openssl x509 -req -days 3650 -in "$tmp/broker.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" \
        -CAcreateserial -extfile "$tmp/broker.ext" -out "$tmp/broker.pem" &&
      openssl pkcs12 -export -name broker -in "$tmp/broker.pem" -inkey "$tmp/broker-key.pem" \
        -certfile "$tmp/ca.pem" -passout "pass:$TLS_STORE_PASSWORD" -out "$tmp/broker.p12"
  } >"$tmp/openssl.log" 2>&1 || die "making the test certificates failed; see $tmp/openssl.log"
  rm -rf "$TLS_DIR"
  mv "$tmp" "$TLS_DIR"
  exec 8>&-
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
    thaw
    if node "$INLET_ROOT/scripts/servers/probe-kafka.mjs" "127.0.0.1:$KAFKA_PORT"; then
      log "reusing the running broker (pid $(cat "$PID_FILE")) on 127.0.0.1:$KAFKA_PORT"
      port_open 127.0.0.1 "$SASL_PORT" ||
        log "warning: it has no SASL/SSL listeners (started by an older kafka.sh); restart it to add them"
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
  ensure_tls
  write_config
  format_storage
  log "starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true "$(java_logging_flag)" -cp "$LIBS_DIR/*" \
    kafka.Kafka "$RUN_DIR/server.properties" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  echo $! >"$PID_FILE"
  wait_until_serving
  ensure_scram_users
  log "ready: KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT (pid $(cat "$PID_FILE")), SASL on $SASL_PORT, SSL on $SSL_PORT"
}

stop() {
  if ! pid_alive "$PID_FILE"; then
    log "not running (nothing started by this script on port $KAFKA_PORT)"
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping pid $(cat "$PID_FILE")"
  # A frozen broker would hold SIGTERM until the grace period ends in SIGKILL.
  thaw
  stop_pid "$PID_FILE" 60
}

# A frozen broker keeps its listening sockets: connections are accepted by the kernel and then
# nothing answers, as with a broker stuck in a long GC pause or on a hung host.
freeze() {
  pid_alive "$PID_FILE" || die "no broker started by this script on port $KAFKA_PORT to freeze"
  log "freezing pid $(cat "$PID_FILE") (SIGSTOP)"
  kill -STOP "$(cat "$PID_FILE")"
}

thaw() {
  pid_alive "$PID_FILE" || return 0
  kill -CONT "$(cat "$PID_FILE")" 2>/dev/null || true
}

case "${1:-}" in
  fetch) fetch ;;
  libs) fetch && echo "$LIBS_DIR" ;;
  pid) pid_alive "$PID_FILE" && cat "$PID_FILE" ;;
  start) start ;;
  stop) stop ;;
  kill) kill_pid "$PID_FILE" ;;
  freeze) freeze ;;
  thaw) thaw && log "thawed (SIGCONT)" ;;
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
  tls-ca) ensure_tls && echo "$TLS_DIR/ca.pem" ;;
  *)
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
    [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ] || exit 2
    ;;
esac
