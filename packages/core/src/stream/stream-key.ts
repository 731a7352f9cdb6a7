import { platform } from '#platform'
import { utf8 } from '../encoding.js'
import type { RecordCipher } from '../platform/platform.js'
import { STREAM_KEY_INFO, STREAM_SALT_BYTES } from '../constants.js'

/** Which way a stream flows: the upload of a request, or the answer. Part of the key, so records never cross. */
export type StreamDirection = 'request' | 'response'

/** A stream's record key, opaque: held imported (a node:crypto KeyObject or a WebCrypto CryptoKey), never as bytes. */
export interface StreamKey {
  readonly direction: StreamDirection
}

/** AES-GCM tag bytes ending each record. */
export const RECORD_TAG_BYTES = 16

/** Bytes of a record's big-endian length prefix. */
export const RECORD_LENGTH_BYTES = 4

const ciphers = new WeakMap<StreamKey, RecordCipher>()

/** The imported cipher behind a key `deriveStreamKey` made; anything else is caller misuse. */
export function cipherOf(key: StreamKey): RecordCipher {
  const cipher = ciphers.get(key)
  if (cipher === undefined) throw new TypeError('key must be a StreamKey made by deriveStreamKey')
  return cipher
}

/** The HKDF info of a stream key: label ‖ 0x00 ‖ direction ‖ 0x00 ‖ jti (UTF-8). */
export function streamKeyInfo(jti: string, direction: StreamDirection): Uint8Array {
  // 0x00-separated fields: the label and direction never hold it, so the info reads back one way only.
  return utf8(`${STREAM_KEY_INFO}\u0000${direction}\u0000${jti}`)
}

/**
 * K = HKDF-SHA256(ikm = rk, salt = n, info = "sealwire-stream-v1" ‖ 0 ‖ D ‖ 0 ‖ jti), 32 bytes
 * (RFC 5869; docs/PROTOCOL.md §12). The salt is fresh per stream and the
 * direction a label of its own, so records of another stream, or of the other
 * direction of this exchange, never authenticate under K.
 *
 * @example
 * const key = await deriveStreamKey(reply.rk, salt, reply.jti, 'response')
 */
export async function deriveStreamKey(rk: Uint8Array, salt: Uint8Array, jti: string, direction: StreamDirection): Promise<StreamKey> {
  if (!(rk instanceof Uint8Array) || rk.length !== 32) throw new TypeError('rk must be the 32-byte response key')
  if (!(salt instanceof Uint8Array) || salt.length !== STREAM_SALT_BYTES) throw new TypeError(`salt must be ${STREAM_SALT_BYTES} bytes`)
  if (direction !== 'request' && direction !== 'response') throw new TypeError('direction must be "request" or "response"')
  const raw = await platform.hkdf(rk, salt, streamKeyInfo(jti, direction), 32)
  try {
    const key: StreamKey = Object.freeze({ direction })
    ciphers.set(key, await platform.recordCipher(raw))
    return key
  } finally {
    raw.fill(0)
  }
}
