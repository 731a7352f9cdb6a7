import type { Curve } from '@sealwire/core'

/** Which curves this runtime's WebCrypto can do ECDH on. */
export type CurveSupport = Readonly<Record<Curve, boolean>>

const ALGORITHMS: Record<Curve, EcKeyGenParams | Algorithm> = {
  'P-256': { name: 'ECDH', namedCurve: 'P-256' } as EcKeyGenParams,
  X25519: { name: 'X25519' },
}

/** A full agreement, not just `generateKey`: some runtimes generate keys they cannot derive with. */
async function probe(curve: Curve): Promise<boolean> {
  try {
    const subtle = globalThis.crypto?.subtle
    if (subtle === undefined) return false
    const pair = (await subtle.generateKey(ALGORITHMS[curve], false, ['deriveBits'])) as CryptoKeyPair
    const bits = await subtle.deriveBits({ name: ALGORITHMS[curve].name, public: pair.publicKey } as EcdhKeyDeriveParams, pair.privateKey, 256)
    return bits.byteLength === 32
  } catch {
    return false
  }
}

let detected: Promise<CurveSupport> | undefined

/** Probes WebCrypto once per realm; every client shares the answer. */
export function detectWebCryptoCurves(): Promise<CurveSupport> {
  detected ??= Promise.all([probe('X25519'), probe('P-256')]).then(([x25519, p256]) => ({ X25519: x25519, 'P-256': p256 }))
  return detected
}
