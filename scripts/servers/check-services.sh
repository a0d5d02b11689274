#!/usr/bin/env bash
# Checks that the services the machine provides (PostgreSQL and Redis) answer, and says
# exactly what is missing when they do not. Exit 0 when both answer.
# Environment: DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), REDIS_URL (redis://127.0.0.1:6379).
set -uo pipefail

SERVER_NAME=services
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
missing=0

url_host_port() { # <url> <default port>
  local rest="${1#*://}"
  rest="${rest#*@}"
  rest="${rest%%/*}"
  local host="${rest%%:*}" port="${rest##*:}"
  [ "$port" = "$rest" ] && port="$2"
  printf '%s %s\n' "$host" "$port"
}

read -r pg_host pg_port < <(url_host_port "$DATABASE_URL" 5432)
if command -v psql >/dev/null 2>&1; then
  if ! out="$(psql "$DATABASE_URL" -Atc 'select 1' 2>&1)"; then
    log "PostgreSQL at $pg_host:$pg_port does not accept DATABASE_URL=$DATABASE_URL: $out"
    log "  start it (Debian): pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
    log "  and make sure the database exists: createdb -h $pg_host -U postgres test"
    missing=1
  fi
elif ! port_open "$pg_host" "$pg_port"; then
  log "PostgreSQL does not answer on $pg_host:$pg_port (DATABASE_URL=$DATABASE_URL)"
  missing=1
fi

read -r redis_host redis_port < <(url_host_port "$REDIS_URL" 6379)
if command -v redis-cli >/dev/null 2>&1; then
  if [ "$(redis-cli -u "$REDIS_URL" ping 2>&1)" != "PONG" ]; then
    log "Redis does not answer PING at $REDIS_URL"
    log "  start it: redis-server --daemonize yes --bind 127.0.0.1 --port $redis_port --save '' --appendonly no"
    missing=1
  fi
elif ! port_open "$redis_host" "$redis_port"; then
  log "Redis does not answer on $redis_host:$redis_port (REDIS_URL=$REDIS_URL)"
  missing=1
fi

[ "$missing" -eq 0 ] && log "PostgreSQL ($pg_host:$pg_port) and Redis ($redis_host:$redis_port) answer"
exit "$missing"
