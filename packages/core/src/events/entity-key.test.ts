import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InletErrorCode } from '../errors';
import { checkEntityKey, entityKeyBytes, entityKeyFromBytes, entityKeyId } from './entity-key';

function refusal(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected the key to be refused');
}

describe('entity keys', () => {
  it('refuses a string key that UTF-8 cannot carry, so two such keys never collide', () => {
    for (const key of ['\uD800x', '\uDC00x', 'order-\uD83D']) {
      for (const attempt of [() => checkEntityKey(key, 'order.placed'), () => entityKeyBytes(key)]) {
        const error = refusal(attempt);
        expect(error).toMatchObject({ code: InletErrorCode.invalidKey });
        expect(String((error as Error).message)).toMatch(/lone surrogate/);
      }
    }
    // A pair is one character and fine.
    expect(entityKeyBytes('order-\uD83D\uDE00')).toEqual(Buffer.from('order-😀'));
  });

  it('reads record key bytes as text when they are UTF-8, else as bytes, whoever wrote them', () => {
    expect(entityKeyFromBytes(Buffer.from('o-gate'))).toBe('o-gate');
    expect(entityKeyFromBytes(new Uint8Array([0x6f, 0x2d, 0x31]))).toBe('o-1');
    const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x61]);
    expect(entityKeyFromBytes(bom)).toBe('\uFEFFa');
    const binary = Buffer.from([0xff, 0x00, 0x01]);
    const read = entityKeyFromBytes(binary);
    expect(Buffer.isBuffer(read)).toBe(true);
    expect(read).toEqual(binary);
  });

  it('round-trips every string key and every byte key through the record key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), (key) => {
        return entityKeyFromBytes(entityKeyBytes(key)) === key;
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), (bytes) => {
        return entityKeyBytes(entityKeyFromBytes(bytes)).equals(Buffer.from(bytes));
      }),
    );
  });

  it('gives each key one identity, equal exactly when the key bytes are equal', () => {
    expect(entityKeyId('o-gate')).toBe('o-gate');
    expect(entityKeyId(Buffer.from('o-gate'))).toBe('o-gate');
    expect(entityKeyId(Buffer.from([0xff, 0x01]))).toBe('\\xff01');
    // Text that could be mistaken for the bytes form, or that stores would choke on, is spelled as bytes.
    expect(entityKeyId('\\xff01')).toBe('\\x5c7866663031');
    expect(entityKeyId('a\u0000b')).toBe('\\x610062');
    const keys = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
      fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom('\\x', '\\xff', '\\', '\u0000', '\n'),
    );
    fc.assert(
      fc.property(keys, keys, (a, b) => {
        const sameBytes = entityKeyBytes(a).equals(entityKeyBytes(b));
        return (entityKeyId(a) === entityKeyId(b)) === sameBytes;
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(keys, (key) => {
        const id = entityKeyId(key);
        return id.length > 0 && !id.includes('\u0000') && Buffer.from(id, 'utf8').toString('utf8') === id;
      }),
    );
  });
});
