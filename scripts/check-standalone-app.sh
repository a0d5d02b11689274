#!/usr/bin/env bash
# Installs Inlet into an application the way a user would, and runs it against real Kafka:
#   1. `pnpm pack:all`: every publishable package built and packed into .packs/;
#   2. standalone/order-service copied to a temporary directory outside the repository;
#   3. plain `npm install` of the @inlet tarballs it needs (its own @inlet dependencies and
#      theirs, read from the packed manifests) — no pnpm, no workspace links; third-party
#      dependencies come from the npm registry; checked: every @inlet package came from a
#      tarball, none from the registry, one copy each;
#   4. `tsc --noEmit` under the app's strict tsconfig (module nodenext, skipLibCheck off, so the
#      published .d.ts files are checked too), then `tsc` to build it;
#   5. the packages resolved from ESM (import) and from CommonJS (require) to the right builds;
#   6. the app run with plain node against the Kafka in KAFKA_BROKERS (default 127.0.0.1:9092,
#      or the port in INLET_KAFKA_PORT), and the PostgreSQL in DATABASE_URL (default
#      postgres://postgres@127.0.0.1:5432/test) for its second part, the sinks pipeline. When KAFKA_BROKERS is unset and nothing answers there,
#      the repo's broker is started (scripts/servers/kafka.sh start) and stopped again at the end,
#      as the test global setup does (INLET_KEEP_SERVERS=1 keeps it).
# Exits non-zero, naming the step, on any failure; the temporary directory is then kept.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
app_name=order-service
app_source="$root/standalone/$app_name"

current_step="start"
step() {
  current_step="$*"
  printf '\n--- standalone app: %s\n' "$*"
}
fail() {
  echo "standalone app: $*" >&2
  exit 1
}

work="$(mktemp -d "${TMPDIR:-/tmp}/inlet-standalone.XXXXXX")"
started_kafka=0
cleanup() {
  local status=$?
  if [ "$started_kafka" = 1 ] && [ "${INLET_KEEP_SERVERS:-}" != 1 ]; then
    bash "$root/scripts/servers/kafka.sh" stop || true
  fi
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
    echo "standalone app check passed"
  else
    echo "standalone app check FAILED at: $current_step (exit $status); files kept in $work" >&2
  fi
  exit "$status"
}
trap cleanup EXIT

step "pnpm pack:all"
pnpm -s pack:all >"$work/tarballs.txt"
cat "$work/tarballs.txt"

step "copy $app_name outside the repository"
cp -R "$app_source" "$work/$app_name"
rm -rf "$work/$app_name/node_modules" "$work/$app_name/dist" "$work/$app_name/package-lock.json"
app="$work/$app_name"
echo "$app"

step "the tarballs the app needs"
# The app's @inlet dependencies, and every @inlet package those depend on: all must be given to
# npm together, as none is on the registry yet.
node - "$root/.packs/packages.json" "$app/package.json" >"$work/needed.txt" <<'EOF'
const { readFileSync } = require('node:fs');
const packed = new Map(JSON.parse(readFileSync(process.argv[2], 'utf8')).map((entry) => [entry.name, entry]));
const app = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const pending = Object.keys({ ...app.dependencies, ...app.devDependencies }).filter((name) => name.startsWith('@inlet/'));
const needed = new Map();
while (pending.length > 0) {
  const name = pending.pop();
  if (needed.has(name)) continue;
  const entry = packed.get(name);
  if (entry === undefined) throw new Error(`${name} is not among the packed packages`);
  needed.set(name, entry);
  pending.push(...Object.keys(entry.inletDependencies));
}
for (const entry of [...needed.values()].sort((a, b) => a.name.localeCompare(b.name))) {
  console.log(`${entry.name}\t${entry.tarball}`);
}
EOF
cat "$work/needed.txt"
mapfile -t tarballs < <(cut -f2 "$work/needed.txt")
[ "${#tarballs[@]}" -gt 0 ] || fail "the app depends on no @inlet package"

step "npm install $(printf '%s ' "${tarballs[@]##*/}")"
cd "$app"
echo "npm $(npm --version), node $(node --version)"
npm install --no-audit --no-fund --no-update-notifier "${tarballs[@]}"

step "every @inlet package installed from its tarball, once"
node - "$work/needed.txt" <<'EOF'
const { lstatSync, readFileSync } = require('node:fs');
const { basename } = require('node:path');
const needed = new Map(readFileSync(process.argv[2], 'utf8').trim().split('\n').map((line) => line.split('\t')));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const problems = [];
const installed = new Set();
for (const [path, entry] of Object.entries(lock.packages)) {
  const name = path.replace(/^.*node_modules\//, '');
  if (!name.startsWith('@inlet/')) continue;
  if (path !== `node_modules/${name}`) problems.push(`a second copy of ${name} at ${path}`);
  if (!needed.has(name)) problems.push(`${name} installed but not expected`);
  const tarball = basename(needed.get(name) ?? '?');
  if (!String(entry.resolved).startsWith('file:') || basename(entry.resolved) !== tarball) {
    problems.push(`${name} resolved from ${entry.resolved}, not from ${tarball}`);
  }
  if (lstatSync(path).isSymbolicLink()) problems.push(`${path} is a link, not an installed copy`);
  installed.add(name);
}
for (const name of needed.keys()) if (!installed.has(name)) problems.push(`${name} was not installed`);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`${[...installed].sort().join(', ')}: each once, from .packs/`);
EOF

step "tsc --noEmit (strict, module nodenext, skipLibCheck off)"
echo "typescript $(./node_modules/.bin/tsc --version)"
npm run --silent typecheck

step "tsc (build)"
npm run --silent build

step "import resolves to the ESM builds, require to the CJS builds"
# Each package and subpath entry the app imports, and the ESM build it must resolve to.
node --input-type=module -e '
  const builds = {
    "@inlet/core": "dist/index.js",
    "@inlet/producer": "dist/index.js",
    "@inlet/consumer": "dist/index.js",
    "@inlet/sinks": "dist/index.js",
    "@inlet/sinks/postgres": "dist/postgres.js",
  };
  for (const [name, build] of Object.entries(builds)) {
    const url = import.meta.resolve(name);
    if (!url.endsWith(`/${build}`)) throw new Error(`import of ${name} resolved to ${url}, not ${build}`);
    const module = await import(name);
    if (Object.keys(module).length === 0) throw new Error(`${name} exports nothing from ESM`);
    console.log(`import ${name} → ${url}`);
  }'
npm run --silent check:cjs

step "Kafka"
brokers="${KAFKA_BROKERS:-127.0.0.1:${INLET_KAFKA_PORT:-9092}}"
answering=""
IFS=',' read -r -a broker_list <<<"$brokers"
for broker in "${broker_list[@]}"; do
  if node "$root/scripts/servers/probe-kafka.mjs" "$broker"; then
    answering="$broker"
    break
  fi
done
if [ -n "$answering" ]; then
  echo "a broker answers at $answering"
elif [ -z "${KAFKA_BROKERS:-}" ]; then
  echo "no broker answers at $brokers: starting the repo's own"
  bash "$root/scripts/servers/kafka.sh" start
  started_kafka=1
else
  fail "no broker answers at KAFKA_BROKERS=$KAFKA_BROKERS"
fi

step "PostgreSQL"
database_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
# With the app's own pg: the sinks part of the app lands its table there.
DATABASE_URL="$database_url" node -e '
  const pg = require("pg");
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
  client.connect().then(() => client.query("select version()")).then(
    ({ rows }) => { console.log(`PostgreSQL answers: ${rows[0].version}`); return client.end(); },
    (error) => { console.error(`PostgreSQL at DATABASE_URL=${process.env.DATABASE_URL}: ${error.message}`); process.exit(1); },
  );' || fail "no PostgreSQL answers at DATABASE_URL=$database_url"

step "run $app_name (node dist/main.js) against $brokers and $database_url"
KAFKA_BROKERS="$brokers" DATABASE_URL="$database_url" timeout 300 npm run --silent start
