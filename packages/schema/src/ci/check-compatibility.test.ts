import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedRegistry } from '../registry/embedded-registry';
import { checkCompatibility, registerDefinitions } from './check-compatibility';
import { orders as breakingOrders } from './fixtures/breaking-topics.fixture';
import { orders } from './fixtures/order-topics.fixture';
import { runSchemaCheckCommand } from './schema-check-command';

describe('checkCompatibility (definitions against a registry)', () => {
  it('reports new definitions as compatible, registered ones as registered, breaking ones with their changes', async () => {
    const registry = createEmbeddedRegistry();
    const before = await checkCompatibility([orders], registry);
    expect(before.ok).toBe(true);
    expect(before.definitions.map((check) => [check.subject, check.version, check.status])).toEqual([
      ['fixture-orders-order.cancelled', 1, 'compatible'],
      ['fixture-orders-order.placed', 1, 'compatible'],
      ['fixture-orders-order.placed', 2, 'compatible'],
    ]);
    await registerDefinitions([orders], registry);
    const after = await checkCompatibility([breakingOrders], registry);
    expect(after.ok).toBe(false);
    const broken = after.definitions.find((check) => check.version === 3);
    expect(broken?.status).toBe('incompatible');
    expect(broken?.report?.breakingChanges).toEqual([
      expect.objectContaining({
        kind: 'FIELD_ADDED_WITHOUT_DEFAULT',
        path: '/fields/currency',
        againstVersion: 2,
      }),
    ]);
    expect(after.definitions.filter((check) => check.status === 'registered')).toHaveLength(3);
  });

  it('checks a new version against new versions before it in the same run', async () => {
    const registry = createEmbeddedRegistry();
    await registry.setCompatibility('FORWARD');
    const result = await checkCompatibility([breakingOrders], registry);
    // Under FORWARD, v1 readers can read v2 and v3 data: extra fields are skipped.
    expect(result.ok).toBe(true);
    const v3 = result.definitions.find((check) => check.version === 3);
    expect(v3?.report?.checkedVersions).toEqual([2]);
  });
});

describe('schema check command (inlet schema check)', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSchemaCheckCommand(args, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: {},
      cwd: here,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('exits 0 for compatible definitions and 1 with the report for breaking ones', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'inlet-cli-'));
    directories.push(directory);
    const registry = `file:${join(directory, 'registry.json')}`;
    const seeded = createEmbeddedRegistry({ file: registry.slice(5) });
    await registerDefinitions([orders], seeded);
    await seeded.close();

    const ok = await run(['check', '--registry', registry, './fixtures/order-topics.fixture.ts']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('3 definitions checked: 0 incompatible, 0 errors');

    const broken = await run(['check', '--registry', registry, './fixtures/breaking-topics.fixture.ts']);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/FAIL\s+fixture-orders order.placed v3/);
    expect(broken.out).toContain('/fields/currency [FIELD_ADDED_WITHOUT_DEFAULT]');

    const asJson = await run([
      'check',
      '--json',
      '--registry',
      registry,
      './fixtures/breaking-topics.fixture.ts',
    ]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.out)).toMatchObject({ ok: false });
  });

  it('exits 2 for a registry URL that does not parse, never printing its password', async () => {
    const result = await run([
      'check',
      '--registry',
      'http://ci-user:reg-secret-123@127.0.0.1:80x81/apis',
      './fixtures/order-topics.fixture.ts',
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('http://ci-user:***@127.0.0.1:80x81/apis');
    expect(`${result.out}\n${result.err}`).not.toContain('reg-secret-123');
  });

  it('shows an unreachable registry with the password replaced, in text and JSON', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const registry = `http://ci-user:reg-secret-123@127.0.0.1:${closedPort}`;
    for (const format of [[], ['--json']]) {
      const result = await run([
        'check',
        ...format,
        '--registry',
        registry,
        './fixtures/order-topics.fixture.ts',
      ]);
      expect(result.code).toBe(3);
      expect(result.out).toContain(`http://ci-user:***@127.0.0.1:${closedPort}`);
      expect(`${result.out}\n${result.err}`).not.toContain('reg-secret-123');
    }
  }, 30_000);

  it('exits 2 on usage errors and 3 when definitions cannot be loaded', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['check', './x.ts'])).code).toBe(2);
    expect((await run(['check', '--registry', 'file:/tmp/none.json', './missing-module.ts'])).code).toBe(3);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: inlet schema check');
  });
});
