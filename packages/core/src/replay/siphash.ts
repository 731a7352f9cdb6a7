/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * INDOCRYPT 2012): a keyed 64-bit pseudo-random function, the standard keyed
 * hash for hash tables fed by an adversary (Python, Rust and Redis use it).
 *
 * Here it fingerprints `jti`s in the memory replay store: keyed with a secret
 * random per store, its outputs cannot be predicted, so nobody can choose
 * `jti`s that collide with each other or crowd one bucket (hash flooding).
 *
 * Written out because no dependency of ours has it: jose and WebCrypto have no
 * SipHash, keyed BLAKE2s from @noble/hashes costs ~6 µs per call here (~20×
 * more), and WebCrypto HMAC is asynchronous. Checked against the 64 reference
 * vectors of the SipHash authors (`siphash.test.ts`).
 *
 * JavaScript has no cheap 64-bit integers, so each 64-bit lane is two 32-bit
 * halves held in locals (`v0l`, `v0h`, …) and a call allocates nothing. The
 * carry of each addition is computed without a branch: the carries of random
 * data are unpredictable, and a mispredicted branch per addition doubled the
 * cost in a measurement here.
 */

/**
 * SipHash-2-4 of `bytes[0..length)` under `key`, written to `out` as
 * `[lo, hi]`: the 64-bit result is `hi · 2^32 + lo` (the reference code's
 * little-endian output bytes are lo's, then hi's).
 *
 * @param key the 128-bit key as four little-endian 32-bit words (k0 lo, k0 hi, k1 lo, k1 hi)
 */
export function sipHash24(key: Uint32Array, bytes: Uint8Array, length: number, out: Uint32Array): void {
  // "somepseudorandomlygeneratedbytes", the initialisation constants (§2).
  let v0l = key[0]! ^ 0x70736575
  let v0h = key[1]! ^ 0x736f6d65
  let v1l = key[2]! ^ 0x6e646f6d
  let v1h = key[3]! ^ 0x646f7261
  let v2l = key[0]! ^ 0x6e657261
  let v2h = key[1]! ^ 0x6c796765
  let v3l = key[2]! ^ 0x79746573
  let v3h = key[3]! ^ 0x74656462

  const whole = length - (length % 8)
  // One pass per 64-bit message word m (c = 2 rounds each), the last word
  // being the 0–7 remaining bytes with the length mod 256 in its top byte;
  // then one pass of finalization (v2 ^= 0xff, d = 4 rounds, no word).
  for (let i = 0; ; i += 8) {
    let mlo = 0
    let mhi = 0
    let rounds = 2
    if (i < whole) {
      mlo = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
      mhi = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24)
    } else if (i === whole) {
      mhi = (length & 0xff) << 24
      for (let j = whole; j < length; j++) {
        const shift = (j - whole) * 8
        if (shift < 32) mlo |= bytes[j]! << shift
        else mhi |= bytes[j]! << (shift - 32)
      }
    } else {
      v2l ^= 0xff
      rounds = 4
    }
    v3l ^= mlo
    v3h ^= mhi
    for (let r = 0; r < rounds; r++) {
      // SipRound (§2). x += y on (lo, hi) pairs: the carry out of lo is the top
      // bit of (xl & yl) | ((xl | yl) & ~sum), without a branch.
      let sum = (v0l + v1l) | 0
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~sum)) >>> 31)) | 0
      v0l = sum
      let t = (v1l << 13) | (v1h >>> 19) // v1 = rotl(v1, 13) ^ v0
      v1h = ((v1h << 13) | (v1l >>> 19)) ^ v0h
      v1l = t ^ v0l
      t = v0l // v0 = rotl(v0, 32)
      v0l = v0h
      v0h = t
      sum = (v2l + v3l) | 0
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~sum)) >>> 31)) | 0
      v2l = sum
      t = (v3l << 16) | (v3h >>> 16) // v3 = rotl(v3, 16) ^ v2
      v3h = ((v3h << 16) | (v3l >>> 16)) ^ v2h
      v3l = t ^ v2l
      sum = (v0l + v3l) | 0
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~sum)) >>> 31)) | 0
      v0l = sum
      t = (v3l << 21) | (v3h >>> 11) // v3 = rotl(v3, 21) ^ v0
      v3h = ((v3h << 21) | (v3l >>> 11)) ^ v0h
      v3l = t ^ v0l
      sum = (v2l + v1l) | 0
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~sum)) >>> 31)) | 0
      v2l = sum
      t = (v1l << 17) | (v1h >>> 15) // v1 = rotl(v1, 17) ^ v2
      v1h = ((v1h << 17) | (v1l >>> 15)) ^ v2h
      v1l = t ^ v2l
      t = v2l // v2 = rotl(v2, 32)
      v2l = v2h
      v2h = t
    }
    if (rounds === 4) break
    v0l ^= mlo
    v0h ^= mhi
  }
  out[0] = v0l ^ v1l ^ v2l ^ v3l
  out[1] = v0h ^ v1h ^ v2h ^ v3h
}
