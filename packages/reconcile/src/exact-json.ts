/**
 * A JSON number that no JavaScript number holds exactly (`0.12345678901234567890`, `1e400`), kept
 * as its source text so that it compares as the decimal it is.
 */
export class ExactDecimal {
  constructor(readonly text: string) {}
  toJSON(): number {
    return Number(this.text);
  }
}

const numberPattern = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal number's canonical text: positional (no exponent), no leading zeros, no trailing
 * fractional zeros, `-0` as `0`. What PostgreSQL's `trim_scale(numeric)::text` prints.
 */
export function decimalText(text: string): string {
  const match = numberPattern.exec(text);
  if (match === null) throw new SyntaxError(`not a decimal number: ${text}`);
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let digits = whole + fraction;
  let point = whole.length + Number(exponent);
  const leading = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leading).replace(/0+$/, '');
  point -= leading;
  if (digits === '') return '0';
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + body;
}

/** A JavaScript number's canonical text: its shortest round-trip decimal, positional; `NaN`, `Infinity`, `-Infinity` as named. */
export function numberText(value: number): string {
  return Number.isFinite(value) ? decimalText(String(value)) : String(value);
}

const whitespace = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters
const stringToken = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const numberToken = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const stringOrNumber = /"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*/g;

const isExactAsNumber = (source: string): boolean => {
  const number = Number(source);
  return String(number) === source || (Number.isFinite(number) && numberText(number) === decimalText(source));
};

// JSON.parse is several times faster, and enough unless a number has more than 15 significant
// digits (DBL_DIG: fewer are exact as a double) or an exponent, and is not what the double prints.
function losesDigits(text: string): boolean {
  for (const [token] of text.matchAll(stringOrNumber))
    if (token[0] !== '"' && (token.length > 15 || /[eE]/.test(token)) && !isExactAsNumber(token)) return true;
  return false;
}

/**
 * `JSON.parse` without losing digits: a number a JavaScript number holds exactly is that number;
 * an integer beyond it a bigint; any other an `ExactDecimal` of its text.
 */
export function parseJsonExact(text: string): unknown {
  if (!losesDigits(text)) return JSON.parse(text);
  let at = 0;
  const skip = () => {
    whitespace.lastIndex = at;
    whitespace.exec(text);
    at = whitespace.lastIndex;
  };
  const token = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const found = pattern.exec(text)?.[0];
    if (found !== undefined) at += found.length;
    return found;
  };
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at position ${at}`);
  };
  const expect = (char: string) => {
    skip();
    if (text[at] !== char) fail();
    at += 1;
  };
  const value = (): unknown => {
    skip();
    const char = text[at];
    if (char === '{') {
      at += 1;
      const object: Record<string, unknown> = {};
      skip();
      if (text[at] === '}') {
        at += 1;
        return object;
      }
      for (;;) {
        skip();
        const name = token(stringToken) ?? fail();
        expect(':');
        Object.defineProperty(object, JSON.parse(name) as string, {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skip();
        if (text[at] === ',') at += 1;
        else {
          expect('}');
          return object;
        }
      }
    }
    if (char === '[') {
      at += 1;
      const array: unknown[] = [];
      skip();
      if (text[at] === ']') {
        at += 1;
        return array;
      }
      for (;;) {
        array.push(value());
        skip();
        if (text[at] === ',') at += 1;
        else {
          expect(']');
          return array;
        }
      }
    }
    if (char === '"') return JSON.parse(token(stringToken) ?? fail());
    for (const [literal, meaning] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const)
      if (text.startsWith(literal, at)) {
        at += literal.length;
        return meaning;
      }
    const source = token(numberToken) ?? fail();
    if (isExactAsNumber(source)) return Number(source);
    const exact = decimalText(source);
    return exact.includes('.') ? new ExactDecimal(source) : BigInt(exact);
  };
  const parsed = value();
  skip();
  if (at !== text.length) fail();
  return parsed;
}
