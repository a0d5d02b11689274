import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scriptsDir = fileURLToPath(new URL('../../../scripts/servers/', import.meta.url));

export type ServerName = 'kafka' | 'registry';

/** Runs `scripts/servers/<name>.sh <command>` and returns its standard output; throws on failure. */
export async function serverScriptOutput(
  name: ServerName,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  try {
    const { stdout } = await run('bash', [`${scriptsDir}${name}.sh`, command], {
      maxBuffer: 16 * 1024 * 1024,
      env,
    });
    return stdout.trim();
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    throw new Error(`scripts/servers/${name}.sh ${command} failed:\n${stdout}${stderr}`);
  }
}

/** Runs `scripts/servers/<name>.sh <command>`; resolves false instead of throwing for `status`. */
export async function serverScript(name: ServerName, command: string): Promise<boolean> {
  if (command !== 'status') {
    await serverScriptOutput(name, command);
    return true;
  }
  try {
    await serverScriptOutput(name, command);
    return true;
  } catch {
    return false;
  }
}

/** Starts a server unless one already answers; returns true when this call started it. */
export async function ensureServerRunning(name: ServerName): Promise<boolean> {
  if (await serverScript(name, 'status')) return false;
  await serverScript(name, 'start');
  return true;
}

/** Checks PostgreSQL and Redis answer; throws with the script's explanation when not. */
export async function checkProvidedServices(): Promise<void> {
  try {
    await run('bash', [`${scriptsDir}check-services.sh`]);
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    throw new Error(`the machine's services are not all answering:\n${stderr}`);
  }
}
