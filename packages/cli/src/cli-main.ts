// The entry point run from source (`node --conditions=@inlet/source --import tsx src/cli-main.ts`),
// used by the end-to-end tests so they never run a stale build; bin/inlet.js is the built one.
import { runInlet } from './cli';
import { processIo } from './cli-io';

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.exitCode = await runInlet(process.argv.slice(2), processIo(interrupted.signal));
