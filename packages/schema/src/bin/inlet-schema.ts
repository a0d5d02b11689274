#!/usr/bin/env node
import { runSchemaCheckCommand } from '../ci/schema-check-command';

runSchemaCheckCommand(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`inlet-schema: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 3;
  },
);
