// The behaviour every SchemaRegistry must show, run against the embedded registry (unit tests)
// and against a real Confluent-compatible registry (integration tests).
import { InletError, InletErrorCode } from '@inlet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchemaIncompatibleError } from './schema-incompatible-error';
import type { SchemaDocument, SchemaRegistry } from './schema-registry';

export interface RegistryContractOptions {
  readonly create: () => Promise<SchemaRegistry> | SchemaRegistry;
}

let counter = 0;
function uniqueSubject(): string {
  counter += 1;
  return `contract-${Date.now().toString(36)}-${process.pid}-${counter}-value`;
}

const avro = (fields: unknown[], name = 'Order'): SchemaDocument => ({
  schemaType: 'AVRO',
  schema: JSON.stringify({ type: 'record', name, namespace: `contract.n${counter}`, fields }),
});
const json = (schema: unknown): SchemaDocument => ({ schemaType: 'JSON', schema: JSON.stringify(schema) });

export function describeRegistryContract(name: string, options: RegistryContractOptions): void {
  describe(`schema registry contract: ${name}`, () => {
    let registry: SchemaRegistry;
    beforeEach(async () => {
      registry = await options.create();
    });
    afterEach(async () => {
      await registry.close();
    });

    it('registers versions, returns the same registration for the same schema, and finds it again', async () => {
      const subject = uniqueSubject();
      const v1 = avro([{ name: 'id', type: 'string' }]);
      const first = await registry.register(subject, v1);
      expect(first).toMatchObject({ subject, version: 1, schemaType: 'AVRO' });
      expect(first.id).toBeGreaterThan(0);
      const again = await registry.register(subject, {
        ...v1,
        schema: JSON.stringify(JSON.parse(v1.schema), null, 2),
      });
      expect(again).toMatchObject({ id: first.id, version: 1 });
      expect(await registry.lookup(subject, v1)).toMatchObject({ id: first.id, version: 1 });
      expect(await registry.lookup(subject, avro([{ name: 'other', type: 'int' }]))).toBeUndefined();

      const v2 = avro([
        { name: 'id', type: 'string' },
        { name: 'note', type: ['null', 'string'], default: null },
      ]);
      const second = await registry.register(subject, v2);
      expect(second.version).toBe(2);
      expect(second.id).not.toBe(first.id);
      expect(await registry.versions(subject)).toEqual([1, 2]);
      expect(await registry.version(subject, 'latest')).toMatchObject({ id: second.id, version: 2 });
      expect(await registry.version(subject, 1)).toMatchObject({ id: first.id, version: 1 });
      expect(await registry.version(subject, 9)).toBeUndefined();
      expect(await registry.subjects()).toContain(subject);
      expect(JSON.parse((await registry.schemaById(second.id)).schema)).toEqual(JSON.parse(v2.schema));
    });

    it('gives one id to one schema across subjects', async () => {
      const document = avro([{ name: 'shared', type: 'long' }], 'Shared');
      const a = await registry.register(uniqueSubject(), document);
      const b = await registry.register(uniqueSubject(), document);
      expect(b.id).toBe(a.id);
      expect(b.version).toBe(1);
    });

    it('refuses an incompatible schema with a report naming the change', async () => {
      const subject = uniqueSubject();
      await registry.setCompatibility('BACKWARD', subject);
      expect(await registry.compatibility(subject)).toBe('BACKWARD');
      await registry.register(subject, avro([{ name: 'id', type: 'string' }]));
      const error = await registry
        .register(
          subject,
          avro([
            { name: 'id', type: 'string' },
            { name: 'currency', type: 'string' },
          ]),
        )
        .catch((e: unknown) => e);
      expect(InletError.hasCode(error, InletErrorCode.schemaIncompatible)).toBe(true);
      expect(error).toBeInstanceOf(SchemaIncompatibleError);
      expect((error as SchemaIncompatibleError).report.breakingChanges).toEqual([
        expect.objectContaining({
          kind: 'FIELD_ADDED_WITHOUT_DEFAULT',
          path: '/fields/currency',
          direction: 'backward',
        }),
      ]);
      expect(await registry.versions(subject)).toEqual([1]);
    });

    it('checks every earlier version under a transitive mode', async () => {
      const subject = uniqueSubject();
      await registry.setCompatibility('NONE', subject);
      await registry.register(
        subject,
        json({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }),
      );
      await registry.register(
        subject,
        json({ type: 'object', properties: { a: { type: 'number' } }, additionalProperties: false }),
      );
      await registry.setCompatibility('BACKWARD_TRANSITIVE', subject);
      const error = await registry
        .register(
          subject,
          json({
            type: 'object',
            properties: { a: { type: 'number' }, b: { type: 'string' } },
            additionalProperties: false,
          }),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaIncompatibleError);
      const report = (error as SchemaIncompatibleError).report;
      expect(report.checkedVersions).toEqual([1, 2]);
      expect(report.breakingChanges.map((change) => change.againstVersion)).toEqual([1]);
    });

    it('lets NONE register anything and keeps the global default apart', async () => {
      const subject = uniqueSubject();
      await registry.setCompatibility('NONE', subject);
      await registry.register(subject, avro([{ name: 'id', type: 'string' }]));
      const second = await registry.register(subject, avro([{ name: 'id', type: 'int' }]));
      expect(second.version).toBe(2);
      expect(await registry.compatibility(uniqueSubject())).toBe(await registry.compatibility());
    });

    it('soft-deletes and then permanently deletes a subject, keeping ids resolvable', async () => {
      const subject = uniqueSubject();
      const registered = await registry.register(
        subject,
        json({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }),
      );
      expect(await registry.deleteSubject(subject)).toEqual([1]);
      expect(await registry.versions(subject)).toEqual([]);
      expect(await registry.subjects()).not.toContain(subject);
      expect((await registry.schemaById(registered.id)).schemaType).toBe('JSON');
      expect(await registry.deleteSubject(subject, { permanent: true })).toEqual([1]);
    });

    it('answers unknown ids with INLET_DECODE_UNKNOWN_SCHEMA_ID', async () => {
      await expect(registry.schemaById(987_654_321)).rejects.toMatchObject({
        code: InletErrorCode.unknownSchemaId,
      });
    });

    it('refuses malformed schemas with INLET_SCHEMA_INVALID', async () => {
      const subject = uniqueSubject();
      await expect(
        registry.register(subject, {
          schemaType: 'AVRO',
          schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}',
        }),
      ).rejects.toMatchObject({
        code: InletErrorCode.schemaInvalid,
      });
    });

    it('resolves references between subjects', async () => {
      const addressSubject = uniqueSubject();
      const address = await registry.register(addressSubject, {
        schemaType: 'AVRO',
        schema: JSON.stringify({
          type: 'record',
          name: 'Address',
          namespace: 'contract.refs',
          fields: [{ name: 'city', type: 'string' }],
        }),
      });
      const customer = await registry.register(uniqueSubject(), {
        schemaType: 'AVRO',
        schema: JSON.stringify({
          type: 'record',
          name: 'Customer',
          namespace: 'contract.refs',
          fields: [{ name: 'address', type: 'contract.refs.Address' }],
        }),
        references: [{ name: 'contract.refs.Address', subject: addressSubject, version: address.version }],
      });
      const stored = await registry.schemaById(customer.id);
      expect(stored.references).toEqual([
        { name: 'contract.refs.Address', subject: addressSubject, version: 1 },
      ]);
    });

    it('fails calls after close', async () => {
      await registry.close();
      await expect(registry.subjects()).rejects.toMatchObject({ code: InletErrorCode.closed });
    });
  });
}
