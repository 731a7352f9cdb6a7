// Apart from stream-key.ts, which core's root exports (deriveStreamKey): only the record code,
// in the lazy `@sealwire/core/stream` entry, needs the nonce, so a browser's first bundle does not carry it.

/**
 * The nonce of record `index`: an 88-bit big-endian counter ‖ 0x01 for the
 * final record, 0x00 otherwise (STREAM, Hoang–Reyhanitabar–Rogaway–Vizár).
 * Unique per record under one key, so no nonce is ever reused; the flag makes
 * an early end or a moved final record fail authentication.
 */
export function recordNonce(index: number, final: boolean): Uint8Array {
  const nonce = new Uint8Array(12)
  // index < 2^53 (the writer stops there): its high 21 bits in bytes 3–6, low 32 in 7–10; bytes 0–2 stay zero.
  // Byte by byte rather than through a DataView: one object fewer per record on the hot path.
  const high = Math.floor(index / 2 ** 32)
  nonce[4] = high >>> 16
  nonce[5] = high >>> 8
  nonce[6] = high
  nonce[7] = index >>> 24
  nonce[8] = index >>> 16
  nonce[9] = index >>> 8
  nonce[10] = index
  nonce[11] = final ? 1 : 0
  return nonce
}

/** A record's 4-byte big-endian length (§12.4) at `at`: byte by byte, no DataView per record. */
export function readRecordLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
}

/** Writes `length` as a record's 4-byte big-endian length prefix into `out` at `at`. */
export function writeRecordLength(out: Uint8Array, at: number, length: number): void {
  out[at] = length >>> 24
  out[at + 1] = length >>> 16
  out[at + 2] = length >>> 8
  out[at + 3] = length
}
