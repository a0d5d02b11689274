#!/usr/bin/env bash
# Starts (or reuses) every server the integration tests, examples and benchmarks use.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
"$here/check-services.sh"
"$here/tools.sh"
"$here/kafka.sh" start
"$here/registry.sh" start
echo "export KAFKA_BROKERS=127.0.0.1:${INLET_KAFKA_PORT:-9092}"
echo "export SCHEMA_REGISTRY_URL=http://127.0.0.1:${INLET_REGISTRY_PORT:-8081}/apis/ccompat/v7"
