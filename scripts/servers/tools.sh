#!/usr/bin/env bash
# Installs the command-line tools the integration tests use as independent Kafka clients, from
# Debian's packages, when they are missing: kcat (librdkafka's producer and consumer). The
# broker's own Java console producer comes with Kafka (kafka.sh). Needs root or sudo for apt-get.
set -euo pipefail

SERVER_NAME=tools
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if command -v kcat >/dev/null 2>&1; then
  log "kcat: $(command -v kcat)"
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || die "kcat is missing and apt-get is not available; install kcat by hand"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "kcat is missing; installing it needs root (apt-get install kcat)"
  sudo_cmd=(sudo)
fi
log "installing kcat from Debian's packages"
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq kcat >/dev/null
log "kcat: $(command -v kcat)"
