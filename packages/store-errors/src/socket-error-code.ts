// Socket-level failures every driver passes through from Node: the server may answer next time.
const retryableSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * The code (`ECONNREFUSED`...) of a Node network error that is worth retrying, also inside an
 * AggregateError; undefined for anything else.
 */
export function socketErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && retryableSocketCodes.has(code)) return code;
  // Node's happy-eyeballs connect reports one failure per address in an AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    for (const each of inner) {
      const innerCode = socketErrorCode(each);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}
