import { describe, expect, it } from 'vitest';
import { arrayLiteral } from './postgres-array-literal';

describe('arrayLiteral', () => {
  it('quotes strings, escaping only quotes and backslashes; numbers and booleans bare; null as NULL', () => {
    const rows = [
      ['plain', 1, true],
      ['with "quote" and \\ backslash', 2.5, false],
      ['', -3, null],
      ['NULL', Number.NaN, undefined],
      ['{a,b} \t\n ö', Number.POSITIVE_INFINITY, true],
    ];
    const column = (index: number) => rows.map((row) => row[index]);
    expect(arrayLiteral(column(0))).toBe(
      '{"plain","with \\"quote\\" and \\\\ backslash","","NULL","{a,b} \t\n ö"}',
    );
    expect(arrayLiteral(column(1))).toBe('{1,2.5,-3,"NaN","Infinity"}');
    expect(arrayLiteral(column(2))).toBe('{t,f,NULL,NULL,t}');
    expect(arrayLiteral([])).toBe('{}');
  });
});
