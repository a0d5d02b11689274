import type { InletLogger } from '@inlet/core';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaJsLogCreator } from './kafkajs-log-creator';

function recordingLogger() {
  const lines: { level: string; message: string; fields: Readonly<Record<string, unknown>> | undefined }[] =
    [];
  const logger: InletLogger = {
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
  return { logger, lines };
}

describe('kafkaJsLogCreator', () => {
  const secret = 's3cret-pw';
  const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
    namespace: 'Connection',
    level,
    label: 'X',
    log: { timestamp: '2024-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
  });

  it('routes each level and keeps the namespace and fields', () => {
    const { logger, lines } = recordingLogger();
    const log = kafkaJsLogCreator(logger, () => [])(logLevel.INFO);
    log(entry(logLevel.ERROR, 'e', { broker: 'b:1' }));
    log(entry(logLevel.WARN, 'w'));
    log(entry(logLevel.INFO, 'i'));
    log(entry(logLevel.DEBUG, 'd'));
    expect(lines.map((line) => line.level)).toEqual(['error', 'warn', 'info', 'debug']);
    expect(lines[0]).toEqual({
      level: 'error',
      message: 'e',
      fields: { component: 'kafkajs', namespace: 'Connection', broker: 'b:1' },
    });
  });

  it('scrubs secrets from the text and the fields, and survives a throwing logger', () => {
    const { logger, lines } = recordingLogger();
    const log = kafkaJsLogCreator(logger, () => [secret])(logLevel.DEBUG);
    log(
      entry(logLevel.ERROR, `login with ${secret} failed`, {
        sasl: { mechanism: 'plain', password: secret },
        nested: { deeper: [`x${secret}y`] },
        error: new Error(`bad ${secret}`),
      }),
    );
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(lines[0]?.message).toBe('login with <redacted> failed');
    const throwing: InletLogger = {
      ...logger,
      warn: () => {
        throw new Error('logger down');
      },
    };
    expect(() =>
      kafkaJsLogCreator(throwing, () => [])(logLevel.INFO)(entry(logLevel.WARN, 'w')),
    ).not.toThrow();
  });
});
