/**
 * A view WebCrypto takes. TypeScript's DOM lib wants ArrayBuffer-backed views;
 * WebCrypto copies what it is given when it is called, so such a view goes as
 * it is, and anything else (a SharedArrayBuffer's) as a copy. In a browser
 * every new array handed to WebCrypto costs microseconds of its own.
 */
export const webCryptoBytes = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => (bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes))
