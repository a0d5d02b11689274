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
    expect(copyField(2.5)).toBe('2.5');
    expect(copyField({ a: 'x\ny' })).toBe('{"a":"x\\\\ny"}');
  });

  it('writes rows as tab-separated lines', () => {
    expect(
      copyText(
        [
          ['k', 'l'],
          [1, 2],
          [null, 'x'],
        ],
        2,
      ),
    ).toBe('k\t1\t\\N\nl\t2\tx\n');
  });

  it('writes a range of the rows, for one chunk of the stream', () => {
    const columns = [
      ['a', 'b', 'c'],
      [1, 2, 3],
    ];
    expect(copyText(columns, 3, 1, 3)).toBe('b\t2\nc\t3\n');
    expect(copyText(columns, 3, 0, 1)).toBe('a\t1\n');
  });
});
