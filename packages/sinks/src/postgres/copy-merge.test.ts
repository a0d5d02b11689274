import { describe, expect, it } from 'vitest';
import { copyField, copyText } from './copy-merge';

describe("COPY's text format", () => {
  it('escapes backslashes, tabs and line ends, and writes null as \\N', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField(true)).toBe('t');
    expect(copyField(false)).toBe('f');
    expect(copyField(42)).toBe('42');
    expect(copyField('{"a":"x\\ty"}')).toBe('{"a":"x\\\\ty"}');
  });

  it('writes rows as tab-separated lines', () => {
    expect(
      copyText([
        ['k', 1, null],
        ['l', 2, 'x'],
      ]),
    ).toBe('k\t1\t\\N\nl\t2\tx\n');
  });
});
