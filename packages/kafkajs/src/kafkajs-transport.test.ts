import { inspect } from 'node:util';
import { InletError, InletErrorCode, type InletLogger, Redacted } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { createKafkaJsTransport } from './kafkajs-transport';

// Nothing here reaches a broker: creating clients, validating options and closing are local.
const brokers = ['127.0.0.1:1'];
const password = 'correct-horse-battery-staple';

function optionIssuePaths(create: () => unknown): string[] {
  try {
    create();
  } catch (error) {
    expect(InletError.hasCode(error, InletErrorCode.invalidOption)).toBe(true);
    return ((error as { issues?: { path: string }[] }).issues ?? []).map((issue) => issue.path);
  }
  throw new Error('expected INLET_INVALID_OPTION');
}

describe('createKafkaJsTransport', () => {
  it('is the kafkajs transport', async () => {
    await using transport = createKafkaJsTransport({ brokers });
    expect(transport.kind).toBe('kafkajs');
    expect(transport.options.clientId).toBe('inlet');
  });

  it('validates its options when it is created, naming the bad one', () => {
    expect(optionIssuePaths(() => createKafkaJsTransport({ brokers: [] }))).toEqual(['/brokers']);
    expect(
      optionIssuePaths(() =>
        createKafkaJsTransport({
          brokers,
          sasl: { mechanism: 'gssapi' as 'plain', username: 'u', password },
        }),
      ),
    ).toEqual(['/sasl/mechanism']);
    expect(optionIssuePaths(() => createKafkaJsTransport({ brokers, logger: {} as InletLogger }))).toEqual([
      '/logger',
    ]);
  });

  it.each([
    ['a plain string', password],
    ['a Redacted value', Redacted.make(password)],
  ])('never reveals a password given as %s', async (_, given) => {
    await using transport = createKafkaJsTransport({
      brokers,
      sasl: { mechanism: 'scram-sha-256', username: 'inlet-user', password: given },
    });
    // Clients hold the kafkajs objects that carry the SASL settings.
    transport.producer();
    transport.consumer({ groupId: 'g' });
    transport.admin();
    for (const printed of [
      inspect(transport, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      inspect(transport.options, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      JSON.stringify(transport),
      JSON.stringify(transport.options),
      String(transport.options.sasl?.password),
    ]) {
      expect(printed).not.toContain(password);
    }
    expect(JSON.stringify(transport.options)).toContain('inlet-user');
    expect(Redacted.value(transport.options.sasl?.password as Redacted)).toBe(password);
  });

  it('validates producer and consumer options', async () => {
    await using transport = createKafkaJsTransport({ brokers });
    expect(optionIssuePaths(() => transport.producer({ idempotent: true, acks: 1 }))).toEqual(['/acks']);
    expect(optionIssuePaths(() => transport.producer({ transactionalId: 'tx', idempotent: false }))).toEqual([
      '/idempotent',
    ]);
    expect(
      optionIssuePaths(() =>
        transport.consumer({ groupId: 'g', sessionTimeoutMs: 1_000, heartbeatIntervalMs: 1_000 }),
      ),
    ).toEqual(['/heartbeatIntervalMs']);
    expect(optionIssuePaths(() => transport.consumer({ groupId: '' }))).toEqual(['/groupId']);
    // acks 0 or 1 without asking for idempotence simply turns it off.
    expect(() => transport.producer({ acks: 1 })).not.toThrow();
  });

  it('refuses a transaction without a transactional id before touching the network', async () => {
    await using transport = createKafkaJsTransport({ brokers });
    await expect(transport.producer().transaction()).rejects.toMatchObject({
      code: InletErrorCode.invalidOption,
    });
  });

  it('rejects a send whose signal has already fired', async () => {
    await using transport = createKafkaJsTransport({ brokers });
    const signal = AbortSignal.abort(new Error('shutting down'));
    const error = await transport
      .producer()
      .send([{ topic: 't', key: null, value: null }], { signal })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: InletErrorCode.aborted });
    expect((error as InletError).cause).toBe(signal.reason);
  });

  it('closes everything it made, once, and then refuses new clients', async () => {
    const transport = createKafkaJsTransport({ brokers });
    const producer = transport.producer();
    const consumer = transport.consumer({ groupId: 'g' });
    const admin = transport.admin();
    await transport.close();
    await transport.close();
    await expect(producer.send([{ topic: 't', key: null, value: null }])).rejects.toMatchObject({
      code: InletErrorCode.closed,
    });
    await expect(consumer.subscribe(['t'])).rejects.toMatchObject({ code: InletErrorCode.closed });
    await expect(admin.listTopics()).rejects.toMatchObject({ code: InletErrorCode.closed });
    expect(() => transport.producer()).toThrow(expect.objectContaining({ code: InletErrorCode.closed }));
    expect(() => transport.admin()).toThrow(expect.objectContaining({ code: InletErrorCode.closed }));
  });

  it('keeps misuse of a consumer typed', async () => {
    await using transport = createKafkaJsTransport({ brokers });
    const consumer = transport.consumer({ groupId: 'g' });
    await expect(consumer.run({ onBatch: async () => undefined })).rejects.toMatchObject({
      code: InletErrorCode.invalidOption,
    });
    await expect(consumer.commit([{ topic: 't', partition: 0, offset: '1' }])).rejects.toMatchObject({
      code: InletErrorCode.invalidOption,
    });
    expect(() => consumer.seek({ topic: 't', partition: 0, offset: 'x' })).toThrow(
      expect.objectContaining({ code: InletErrorCode.invalidOption }),
    );
    consumer.pause([{ topic: 't', partition: 1 }]);
    expect(consumer.paused()).toEqual([{ topic: 't', partition: 1 }]);
    consumer.resume([{ topic: 't', partition: 1 }]);
    expect(consumer.paused()).toEqual([]);
    expect(consumer.assignment()).toEqual([]);
  });

  describe('what it logs', () => {
    function recordingLogger(): InletLogger & {
      readonly lines: { level: string; message: string; fields: unknown }[];
    } {
      const lines: { level: string; message: string; fields: unknown }[] = [];
      const at = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
        lines.push({ level, message, fields });
      };
      return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    }

    it("does not pass on kafkajs's warning that limited retries may invalidate EoS guarantees", async () => {
      const logger = recordingLogger();
      await using transport = createKafkaJsTransport({ brokers, logger });
      // Idempotent (the default), transactional, and a plain one for contrast.
      transport.producer();
      transport.producer({ transactionalId: 'tx' });
      transport.producer({ idempotent: false, acks: 1 });
      expect(logger.lines.map((line) => line.message)).not.toContainEqual(expect.stringMatching(/EoS/));
    });

    it('warns once, naming the brokers, when TLS certificate verification is off', async () => {
      const logger = recordingLogger();
      await using transport = createKafkaJsTransport({
        brokers: ['127.0.0.1:1', '127.0.0.1:2'],
        ssl: { rejectUnauthorized: false, passphrase: 'pass-secret' },
        logger,
      });
      transport.producer();
      transport.admin();
      const warnings = logger.lines.filter((line) => line.level === 'warn');
      expect(warnings).toEqual([
        {
          level: 'warn',
          message: expect.stringMatching(/TLS certificate verification is off/),
          fields: expect.objectContaining({ brokers: ['127.0.0.1:1', '127.0.0.1:2'] }),
        },
      ]);
      expect(inspect(logger.lines, { depth: Number.POSITIVE_INFINITY })).not.toMatch(/-secret/);
    });

    it('does not warn when TLS verification is on', async () => {
      for (const ssl of [true, { rejectUnauthorized: true }, {}]) {
        const logger = recordingLogger();
        await using _transport = createKafkaJsTransport({ brokers, ssl, logger });
        expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
      }
    });
  });
});
