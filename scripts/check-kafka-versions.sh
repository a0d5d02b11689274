#!/usr/bin/env bash
# Runs the Kafka-facing integration tests (the harness smoke tests and the transport contract)
# against other Kafka versions, each on its own port so the default broker is left alone.
#   scripts/check-kafka-versions.sh [version ...]     (default: 3.9.1 4.4.0)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
versions=("$@")
[ "${#versions[@]}" -gt 0 ] || versions=(3.9.1 4.4.0)
port=9192
status=0
for version in "${versions[@]}"; do
  echo "=== Kafka $version on 127.0.0.1:$port"
  export INLET_KAFKA_VERSION="$version" INLET_KAFKA_PORT="$port"
  bash scripts/servers/kafka.sh reset >/dev/null
  bash scripts/servers/kafka.sh start
  if KAFKA_BROKERS="127.0.0.1:$port" pnpm exec vitest run --project integration \
    internal/test-support/src/harness packages/core/src/transport; then
    echo "=== Kafka $version: passed"
  else
    echo "=== Kafka $version: FAILED"
    status=1
  fi
  bash scripts/servers/kafka.sh reset >/dev/null
done
exit "$status"
