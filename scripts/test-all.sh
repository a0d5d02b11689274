#!/usr/bin/env bash
# Everything CI checks, in order: services, lint, types, build, package lint, unit + type tests,
# integration tests against the real servers (started here when KAFKA_BROKERS /
# SCHEMA_REGISTRY_URL are unset, and stopped again afterwards), API docs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n=== %s\n' "$*"; }

step "services (PostgreSQL, Redis) and client tools (kcat, chromium)"
bash scripts/servers/check-services.sh
bash scripts/servers/tools.sh
bash scripts/install-chromium.sh
step "lint (biome)"
pnpm lint
step "typecheck"
pnpm typecheck
step "build (tsup: ESM + CJS + d.ts)"
pnpm build
step "package lint (publint, attw)"
pnpm lint:packages
step "unit and type tests"
pnpm test
step "integration tests (real Kafka, schema registry, PostgreSQL, Redis)"
pnpm test:integration
step "API docs (typedoc)"
pnpm run docs
step "all checks passed"
