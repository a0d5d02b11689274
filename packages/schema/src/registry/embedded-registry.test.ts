import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedRegistry } from './embedded-registry';
import { describeRegistryContract } from './registry-contract.test-support';

describeRegistryContract('embedded registry', { create: () => createEmbeddedRegistry() });

describe('embedded registry persistence', () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  async function tempFile(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'inlet-registry-'));
    directories.push(directory);
    return join(directory, 'nested', 'registry.json');
  }

  it('keeps subjects, ids, versions and configuration across restarts', async () => {
    const file = await tempFile();
    const first = createEmbeddedRegistry({ file });
    await first.setCompatibility('FULL');
    const registered = await first.register('orders-order.placed', {
      schemaType: 'JSON',
      schema: JSON.stringify({ type: 'object', properties: { id: { type: 'string' } } }),
    });
    await first.close();

    const second = createEmbeddedRegistry({ file });
    expect(await second.compatibility()).toBe('FULL');
    expect(await second.versions('orders-order.placed')).toEqual([1]);
    expect((await second.schemaById(registered.id)).schemaType).toBe('JSON');
    const next = await second.register('other', { schemaType: 'AVRO', schema: '"string"' });
    expect(next.id).toBe(registered.id + 1);
    await second.close();
  });

  it('serialises concurrent registrations into distinct versions', async () => {
    const registry = createEmbeddedRegistry({ file: await tempFile(), defaultCompatibility: 'NONE' });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        registry.register('concurrent', {
          schemaType: 'AVRO',
          schema: JSON.stringify({ type: 'enum', name: 'E', symbols: [`S${index}`] }),
        }),
      ),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    await registry.close();
  });

  it('refuses a file that is not an embedded registry', async () => {
    const file = await tempFile();
    await createEmbeddedRegistry({ file }).setCompatibility('NONE');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('inlet-embedded-registry/1', 'something-else'));
    await expect(createEmbeddedRegistry({ file }).subjects()).rejects.toMatchObject({
      code: 'INLET_REGISTRY_UNAVAILABLE',
    });
  });

  it('refuses a bad default compatibility when it is made', () => {
    expect(() => createEmbeddedRegistry({ defaultCompatibility: 'SOMETIMES' as never })).toThrow(
      /must be one of/,
    );
  });
});
