// The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the payload.

export const confluentMagicByte = 0;
export const confluentHeaderLength = 5;

export function frameConfluent(schemaId: number, payload: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(confluentHeaderLength + payload.length);
  framed[0] = confluentMagicByte;
  framed.writeUInt32BE(schemaId, 1);
  payload.copy(framed, confluentHeaderLength);
  return framed;
}

export type UnframeResult =
  | { readonly ok: true; readonly schemaId: number; readonly payload: Buffer }
  | { readonly ok: false; readonly reason: 'truncated' | 'bad-magic-byte'; readonly message: string };

export function unframeConfluent(bytes: Buffer): UnframeResult {
  if (bytes.length < confluentHeaderLength) {
    return {
      ok: false,
      reason: 'truncated',
      message: `${bytes.length} bytes is too short for the 5-byte schema registry header`,
    };
  }
  if (bytes[0] !== confluentMagicByte) {
    return { ok: false, reason: 'bad-magic-byte', message: `magic byte is ${bytes[0]}, expected 0` };
  }
  return { ok: true, schemaId: bytes.readUInt32BE(1), payload: bytes.subarray(confluentHeaderLength) };
}
