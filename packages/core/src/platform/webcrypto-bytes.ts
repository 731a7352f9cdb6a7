/**
 * A view WebCrypto takes. TypeScript's DOM lib wants ArrayBuffer-backed views;
 * WebCrypto copies what it is given when it is called, so such a view goes as
 * it is, and anything else (a SharedArrayBuffer's) as a copy. In a browser
 * every new array handed to WebCrypto costs microseconds of its own.
 */
export const webCryptoBytes = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => (bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes))

/** WebCrypto's `subtle`, or a TypeError that names the fix where the runtime has none. */
export function webCryptoSubtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle
  if (s === undefined) throw new TypeError('Sealwire needs WebCrypto (crypto.subtle); browsers expose it only in secure contexts (https or localhost)')
  return s
}
