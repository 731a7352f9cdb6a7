import { defaultBackend, type CryptoBackend, type Curve } from '@sealwire/core'
import { detectWebCryptoCurves } from './webcrypto-curves.js'

/** Which cryptography seals requests: WebCrypto through jose, pure-JS noble, or the best this runtime offers. */
export type CryptoChoice = 'auto' | 'jose' | 'noble'

/** A curve the client may seal to, and the backend that does it; the first listed is preferred. */
export interface CurvePlan {
  readonly curve: Curve
  readonly backend: CryptoBackend
}

// Loaded on demand: runtimes whose WebCrypto has both curves never load noble,
// and bundlers split it into its own chunk.
const loadNoble = (): Promise<CryptoBackend> => import('./noble-backend.js').then((m) => m.nobleBackend as CryptoBackend)

/**
 * Orders the curves a client can seal to. X25519 before P-256 (faster, no
 * point validation pitfalls), native WebCrypto before the pure-JS fallback:
 * native X25519, native P-256, then noble for whichever curve WebCrypto lacks.
 */
export async function planCurves(choice: CryptoChoice): Promise<CurvePlan[]> {
  if (choice === 'noble') {
    const noble = await loadNoble()
    return [
      { curve: 'X25519', backend: noble },
      { curve: 'P-256', backend: noble },
    ]
  }
  const support = await detectWebCryptoCurves()
  const native = (['X25519', 'P-256'] as const).filter((c) => support[c]).map((curve) => ({ curve, backend: defaultBackend }))
  if (choice === 'jose') {
    if (native.length === 0) throw new TypeError("crypto: 'jose' was requested, but this runtime's WebCrypto has neither X25519 nor P-256 ECDH")
    return native
  }
  const missing = (['X25519', 'P-256'] as const).filter((c) => !support[c])
  if (missing.length === 0) return native
  const noble = await loadNoble()
  return [...native, ...missing.map((curve) => ({ curve, backend: noble }))]
}
