import { describe, expect, it } from 'vitest';
import { createUuidV7Generator, isUuidV7, uuidV7Time } from './uuid-v7';

describe('UUIDv7', () => {
  it('is well-formed and carries its creation time', () => {
    const generate = createUuidV7Generator(() => Date.UTC(2026, 10, 25, 12, 0, 0, 123));
    const id = generate();
    expect(isUuidV7(id)).toBe(true);
    expect(uuidV7Time(id).toISOString()).toBe('2026-11-25T12:00:00.123Z');
  });

  it('sorts in creation order within one millisecond and across many', () => {
    let clock = 1_700_000_000_000;
    const generate = createUuidV7Generator(() => clock);
    const ids: string[] = [];
    for (let index = 0; index < 20_000; index += 1) {
      if (index % 7_000 === 0) clock += 1;
      ids.push(generate());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays ordered when the clock steps backwards', () => {
    let clock = 1_700_000_000_500;
    const generate = createUuidV7Generator(() => clock);
    const before = generate();
    clock -= 400;
    const after = generate();
    expect(after > before).toBe(true);
  });
});
