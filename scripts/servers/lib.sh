# Shared helpers for the server scripts. Sourced, not run.
# shellcheck shell=bash

INLET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INLET_SERVERS_DIR="${INLET_SERVERS_DIR:-$INLET_ROOT/.servers}"
mkdir -p "$INLET_SERVERS_DIR"

log() { printf '[%s] %s\n' "$SERVER_NAME" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$SERVER_NAME" "$*" >&2; exit 1; }

require_command() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"
}

# pid_alive <pidfile>: true when the pid in the file is a live process.
pid_alive() {
  [ -f "$1" ] || return 1
  local pid
  pid="$(cat "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_pid <pidfile> <seconds>: TERM, wait, then KILL. Only touches the pid we started.
stop_pid() {
  local pidfile="$1" grace="${2:-30}" pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((grace * 10)) ]; then
      log "pid $pid did not stop within ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$pidfile"
}

# kill_pid <pidfile>: SIGKILL at once (fault tests: a broker that dies without a clean shutdown).
kill_pid() {
  local pidfile="$1" pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid="$(cat "$pidfile")"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$pidfile"
}

port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Pick the newest JDK under /usr/lib/jvm whose major version is at least $1, or the default java.
java_home_at_least() {
  local want="$1" candidate major best="" best_major=0
  for candidate in /usr/lib/jvm/*/; do
    [ -x "$candidate/bin/java" ] || continue
    major="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
    [ -n "$major" ] || continue
    if [ "$major" -ge "$want" ] && [ "$major" -gt "$best_major" ]; then
      best="${candidate%/}"
      best_major="$major"
    fi
  done
  [ -n "$best" ] && printf '%s\n' "$best"
}

# maven_copy_dependencies <pom> <output dir> [extra mvn args...]
maven_copy_dependencies() {
  local pom="$1" out="$2"
  shift 2
  require_command mvn "install Maven (Debian: apt-get install maven)"
  local tmp="$out.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  mvn -B -q -f "$pom" "$@" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >&2 ||
    die "Maven could not resolve $pom ($*); see the output above"
  rm -rf "$out"
  mv "$tmp" "$out"
}
