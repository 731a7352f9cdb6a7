import { sha256 } from '@noble/hashes/sha2.js'

const encoder = new TextEncoder()

function uint32be(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value, false)
  return out
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** RFC 7518 §4.6.2: a Datalen-prefixed field (32-bit big-endian length, then the bytes). */
const prefixed = (bytes: Uint8Array): Uint8Array => concat(uint32be(bytes.length), bytes)

/**
 * The `OtherInfo` of RFC 7518 §4.6.2 for ECDH-ES: AlgorithmID, PartyUInfo,
 * PartyVInfo, then SuppPubInfo (the key length in bits). In Direct Key
 * Agreement mode AlgorithmID is the `enc` value (here `A256GCM`), not `alg`.
 */
export function ecdhEsOtherInfo(algorithmId: string, apu: Uint8Array, apv: Uint8Array, keyDataLengthBits: number): Uint8Array {
  return concat(prefixed(encoder.encode(algorithmId)), prefixed(apu), prefixed(apv), uint32be(keyDataLengthBits))
}

/**
 * The single-step Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as
 * profiled by RFC 7518 §4.6.2: `H(counter || Z || OtherInfo)` for counter
 * 1, 2, …, truncated to `keyDataLengthBits`.
 */
export function concatKdf(z: Uint8Array, keyDataLengthBits: number, otherInfo: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(keyDataLengthBits) || keyDataLengthBits <= 0 || keyDataLengthBits % 8 !== 0) {
    throw new RangeError('keyDataLengthBits must be a positive multiple of 8')
  }
  const length = keyDataLengthBits / 8
  const out = new Uint8Array(Math.ceil(length / 32) * 32)
  for (let counter = 1; (counter - 1) * 32 < length; counter++) {
    out.set(sha256(concat(uint32be(counter), z, otherInfo)), (counter - 1) * 32)
  }
  return out.slice(0, length)
}
