import { NO_VALID_SIGNED_JWKS_DETAIL, SealwireError, type Clock, type RecipientKey } from '@sealwire/core'
import type { JWK } from 'jose'
import type { CurvePlan } from '../crypto/crypto-plan.js'
import { serverTimeOf } from '../exchange/clock-offset.js'
import { readCappedText } from '../exchange/read-capped.js'
import { sentence } from '../exchange/lazy-sentence.js'
import { whyFetchFailed } from '../exchange/request-not-sent.js'
import { cacheLifetimeSeconds } from './cache-lifetime.js'
import { selectRecipientKey } from './select-key.js'

/** Where a client gets the server key it seals to. */
export interface KeySource {
  /** The key to seal the next request to. */
  current(): Promise<RecipientKey>
  /**
   * After `unknown_key` for `usedKid`: a newer key, fetched at most once however
   * many requests failed at the same time. Resolves the same kid when the server
   * still advertises it (nothing to retry with), or undefined for pinned keys.
   */
  refresh(usedKid: string): Promise<RecipientKey | undefined>
}

/** Largest JWK Set accepted (bytes): a few keys are a few hundred bytes. Larger ones are not read past this. */
const MAX_JWKS_BYTES = 64 * 1024

/**
 * Whether a refused signed-set fetch is the server saying it holds no valid
 * set (docs/PROTOCOL.md §2.1): its 500 problem carries a fixed `detail`.
 * Unauthenticated, like any refusal: it chooses the message, nothing else.
 */
async function hasNoValidSignedSet(res: Response): Promise<boolean> {
  if (res.status !== 500) return false
  try {
    const problem = JSON.parse((await readCappedText(res, 4096)) ?? 'null') as { code?: unknown; detail?: unknown } | null
    return problem?.code === 'internal_error' && problem.detail === NO_VALID_SIGNED_JWKS_DETAIL
  } catch {
    return false
  }
}

const discoveryFailed = (detail: string, cause?: unknown) => new SealwireError('key_discovery_failed', { detail, cause })

/** Keys given to `createClient`: no network, no refresh. */
export function pinnedKeySource(keys: readonly unknown[], plan: () => Promise<readonly CurvePlan[]>): KeySource {
  let selected: Promise<RecipientKey> | undefined
  const current = () =>
    (selected ??= plan().then(async (p) => {
      const key = await selectRecipientKey(keys, p)
      if (key === undefined) throw new TypeError('keys: none of the pinned keys is a usable Sealwire public key for this runtime')
      return key
    }))
  return { current, refresh: async () => undefined }
}

/**
 * `unknown_key` for a pinned key: nothing to refetch, so the fix is the
 * deployment's. The refusal is unauthenticated (a man in the middle can forge
 * it), so this says what the server answered, and keeps its problem as `cause`.
 */
export async function stalePins(kid: string, refusal: SealwireError): Promise<SealwireError> {
  const detail = await sentence((m) => m.stalePins(kid), `The server does not hold the pinned key ${kid} (unknown_key): the pins are stale`)
  return new SealwireError('unknown_key', { detail, cause: refusal.cause })
}

export interface JwksSourceOptions {
  url: string
  /**
   * The pinned root of a signed key set (its public JWK or RFC 7638
   * thumbprint): `url` then serves a JWT that must verify with it and not be
   * expired (docs/PROTOCOL.md §2.1); a plain JWK Set is refused.
   */
  root?: JWK | string | undefined
  fetch: typeof globalThis.fetch
  clock: Clock
  plan: () => Promise<readonly CurvePlan[]>
  /**
   * Called with the server time (ms) the answer's `Date` implies, once a set is
   * accepted: the client learns its clock offset before sealing a first request.
   */
  onServerTime?: ((serverTimeMs: number) => void) | undefined
}

/**
 * The server's JWK Set, fetched on first use and cached for its
 * `Cache-Control: max-age`. Concurrent callers share one in-flight fetch, so a
 * burst of requests (or of `unknown_key` answers) costs one download.
 */
export function jwksKeySource(options: JwksSourceOptions): KeySource {
  /** `setExpiresAt`: when the signed set the key came from expires (Infinity for a plain set). */
  let cached: { key: RecipientKey; expiresAt: number; setExpiresAt: number } | undefined
  let inflight: Promise<RecipientKey> | undefined
  /** The newest signed set this client accepted: an older one is a rollback (verify-signed-set.ts). */
  let newest: { iat: number; keys: unknown[] } | undefined

  async function download(): Promise<RecipientKey> {
    const what = options.root === undefined ? 'The JWK Set' : 'The signed JWK Set'
    let res: Response
    try {
      // We are the cache (max-age above); an HTTP cache must not hand back the set we are replacing.
      // A redirect is never followed: 'manual' leaves it as a non-2xx answer (an opaque
      // one in browsers), refused below. Not 'error', which Workers (workerd) reject.
      const accept = options.root === undefined ? 'application/json' : 'application/jwt'
      res = await options.fetch(options.url, { method: 'GET', headers: { accept }, cache: 'no-store', redirect: 'manual' })
    } catch (cause) {
      // The root cause sits deep in `cause` (undici): say it, and the fix.
      throw discoveryFailed(`${what} could not be fetched${await whyFetchFailed(cause, options.url)}`, cause)
    }
    if (!res.ok) {
      if (options.root !== undefined && (await hasNoValidSignedSet(res))) {
        throw discoveryFailed(await sentence((m) => m.noValidSignedSet(), 'The server has no valid signed key set to serve (HTTP 500): re-sign it with sealwire keys sign'))
      }
      void res.body?.cancel().catch(() => undefined)
      throw discoveryFailed(`${what} answered HTTP ${res.status}`)
    }
    let text: string | undefined
    try {
      text = await readCappedText(res, MAX_JWKS_BYTES)
    } catch (cause) {
      throw discoveryFailed(`${what} could not be read`, cause)
    }
    if (text === undefined) throw discoveryFailed(`${what} is larger than ${MAX_JWKS_BYTES} bytes`)
    let keys: unknown
    let expiresAt = options.clock() + cacheLifetimeSeconds(res.headers.get('cache-control')) * 1000
    let setExpiresAt = Number.POSITIVE_INFINITY
    if (options.root !== undefined) {
      // Only what the pinned root signed: a proxy's own set, an expired one or a plain JWK Set is refused.
      const { verifyKeySet } = await import('./verify-signed-set.js')
      let verified: Awaited<ReturnType<typeof verifyKeySet>>
      try {
        verified = await verifyKeySet(text.trim(), { root: options.root, now: options.clock(), newest })
      } catch (cause) {
        // An older genuine set while the newer one this client holds is still valid (a CDN
        // edge or an instance mid-deploy serving it): the rollback is refused, the request is not.
        if ((cause as { rollback?: boolean }).rollback === true && cached !== undefined && options.clock() < cached.setExpiresAt) {
          cached = { ...cached, expiresAt: Math.min(expiresAt, cached.setExpiresAt) }
          return cached.key
        }
        throw discoveryFailed((cause as Error).message, cause)
      }
      keys = verified.keys
      newest = { iat: verified.iat, keys: verified.keys }
      // Never cached past its expiry.
      setExpiresAt = verified.exp * 1000
      expiresAt = Math.min(expiresAt, setExpiresAt)
    } else {
      try {
        keys = (JSON.parse(text) as { keys?: unknown }).keys
      } catch (cause) {
        throw discoveryFailed('The JWK Set is not JSON', cause)
      }
    }
    if (!Array.isArray(keys)) throw discoveryFailed('The JWK Set has no "keys" array')
    const key = await selectRecipientKey(keys, await options.plan())
    if (key === undefined) throw discoveryFailed(`${what} holds no key this client can use`)
    cached = { key, expiresAt, setExpiresAt }
    const serverTime = serverTimeOf(res.headers)
    if (serverTime !== undefined) options.onServerTime?.(serverTime)
    return key
  }

  function load(): Promise<RecipientKey> {
    inflight ??= download().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  return {
    async current() {
      if (cached !== undefined && options.clock() < cached.expiresAt) return cached.key
      return load()
    },
    async refresh(usedKid) {
      // Someone already replaced the key that failed: use theirs, fetch nothing.
      if (inflight === undefined && cached !== undefined && cached.key.kid !== usedKid) return cached.key
      return load()
    },
  }
}
