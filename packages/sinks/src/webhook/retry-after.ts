/**
 * How long a `Retry-After` header asks to wait, in milliseconds: either delay-seconds (`120`) or
 * an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, 0 once it has passed). Undefined when absent or
 * not one of the two (the sink's own backoff applies then).
 */
export function retryAfterMs(
  header: string | readonly string[] | undefined,
  now = Date.now(),
): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) {
    const seconds = Number(value);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // HTTP dates always name a weekday or a month in letters; this refuses bare numbers like "1.5".
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
