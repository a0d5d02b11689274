#!/usr/bin/env bash
# Stops the servers these scripts started (never a broker or registry they did not start).
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
"$here/registry.sh" stop
"$here/kafka.sh" stop
