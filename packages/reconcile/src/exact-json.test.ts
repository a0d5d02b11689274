import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalValue, jsonbText } from './canonical-value';
import { shortestFloat32 } from './duckdb-table-sink';
import { decimalText, ExactDecimal, numberText, parseJsonExact } from './exact-json';

describe('decimalText and numberText', () => {
  it('write a number positionally, without trailing zeros, -0 as 0', () => {
    expect(decimalText('1.0')).toBe('1');
    expect(decimalText('1e2')).toBe('100');
    expect(decimalText('1.50E+1')).toBe('15');
    expect(decimalText('-0.0e5')).toBe('0');
    expect(decimalText('0012.3400')).toBe('12.34');
    expect(decimalText('-1.5e-7')).toBe('-0.00000015');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(1e-7)).toBe('0.0000001');
    expect(numberText(-0)).toBe('0');
    expect(numberText(0.1 + 0.2)).toBe('0.30000000000000004');
    expect([Number.NaN, Infinity, -Infinity].map(numberText)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('keep every double exactly (a property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = numberText(value);
        return !/e/i.test(text) && Object.is(Number(text), value === 0 ? 0 : value);
      }),
    );
  });
});

describe('parseJsonExact', () => {
  it('reads what JSON.parse reads when numbers fit (a property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value, null, 2);
        expect(parseJsonExact(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('keeps digits a JavaScript number would lose', () => {
    expect(parseJsonExact('9007199254740993')).toBe(9007199254740993n);
    expect(parseJsonExact('1e400')).toBe(10n ** 400n);
    expect(parseJsonExact('9007199254740992')).toBe(9007199254740992);
    expect(parseJsonExact('0.1234567890123456789')).toEqual(new ExactDecimal('0.1234567890123456789'));
    expect(canonicalValue(parseJsonExact('0.1234567890123456789'))).toBe('d0.1234567890123456789');
    expect(parseJsonExact('[1.0, 1e2, -0]')).toEqual([1, 100, -0]);
  });

  it('keeps every integer exactly (a property)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt()), (list) => {
        const parsed = parseJsonExact(`{"list": [${list.join(', ')}]}`) as { list: (number | bigint)[] };
        return parsed.list.every((item, index) => BigInt(item) === list[index]);
      }),
    );
  });

  it('reads escapes and keeps __proto__ as a property', () => {
    expect(parseJsonExact('{"\\u00e9": "\\ud83c\\udf89\\n\\/"}')).toEqual({ é: '🎉\n/' });
    expect(Object.keys(parseJsonExact('{"__proto__": 1}') as object)).toEqual(['__proto__']);
  });

  it('refuses what is not JSON', () => {
    for (const text of ['{', '[1,]', '01', '"\u0001"', '1 2', "{'a': 1}", 'NaN', ''])
      expect(() => parseJsonExact(text), text).toThrow(SyntaxError);
  });
});

describe('JSON and arrays in canonical form', () => {
  const shuffled = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(shuffled);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([name, item]) => [name, shuffled(item)]),
      );
    return value;
  };

  it('does not depend on key order or whitespace (a property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const spaced = parseJsonExact(JSON.stringify(shuffled(value), null, 1));
        expect(canonicalValue(spaced)).toBe(canonicalValue(value));
      }),
    );
  });

  it("writes jsonb's text: its key order, its separators, numbers in canonical decimal", () => {
    expect(jsonbText({ é: 3, b: [1.5, 1e21, null, true], aa: { y: {}, x: [] } })).toBe(
      '{"b": [1.5, 1000000000000000000000, null, true], "aa": {"x": [], "y": {}}, "é": 3}',
    );
    expect(canonicalValue(parseJsonExact('{"a": 1.0}'))).toBe(canonicalValue({ a: 1 }));
    expect(canonicalValue({ a: null })).not.toBe(canonicalValue({}));
    expect(canonicalValue({ a: undefined })).toBe(canonicalValue({}));
    expect(canonicalValue(['a|b=c\\'])).toBe('j["a\\|b\\=c\\\\\\\\"]');
  });

  it('writes array elements as their JSON images: times as ISO text, bytes as \\x hex, NaN as a string', () => {
    expect(
      canonicalValue([new Date('2026-01-01T00:00:01.5Z'), Buffer.from([0xab]), Number.NaN, -0, 5n, null]),
    ).toBe('j["2026-01-01T00:00:01.500Z", "\\\\\\\\xab", "NaN", 0, 5, null]');
    expect(canonicalValue([[1, 2], [3]])).toBe('j[[1, 2], [3]]');
    expect(canonicalValue([])).toBe('j[]');
  });

  it('tells different JSON values apart (a property)', () => {
    const sorted = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sorted);
      if (typeof value === 'object' && value !== null)
        return Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((name) => [name, sorted((value as Record<string, unknown>)[name])]),
        );
      return value;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(JSON.stringify(sorted(a)) !== JSON.stringify(sorted(b)));
        return canonicalValue(a) !== canonicalValue(b);
      }),
    );
  });
});

describe('shortestFloat32', () => {
  it('gives the shortest decimal of a DuckDB FLOAT (a property)', () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(1e-45))).toBe(1e-45);
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (value) => Math.fround(shortestFloat32(value)) === value),
    );
  });
});
