#!/usr/bin/env node
// Committed (not built) so that the bin links on a fresh install; the command itself is built.
import { runInlet } from '../dist/cli.js';

process.exitCode = await runInlet(process.argv.slice(2));
