#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the status page test of @inlet/monitor drives it
# headless through playwright-core (which downloads no browser of its own here: the machines that
# run the tests have no internet, only the Debian mirror). Needs root or sudo for apt-get.
set -euo pipefail

SERVER_NAME=chromium
# shellcheck source=servers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers/lib.sh"

if command -v chromium >/dev/null 2>&1; then
  log "chromium: $(command -v chromium)"
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || die "chromium is missing and apt-get is not available; install chromium by hand"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "chromium is missing; installing it needs root (apt-get install chromium)"
  sudo_cmd=(sudo)
fi
log "installing chromium from Debian's packages"
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
log "chromium: $(command -v chromium)"
