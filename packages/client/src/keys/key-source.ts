import { SealwireError, type Clock, type RecipientKey } from '@sealwire/core'
import type { CurvePlan } from '../crypto/crypto-plan.js'
import { readCappedText } from '../exchange/read-capped.js'
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

export interface JwksSourceOptions {
  url: string
  fetch: typeof globalThis.fetch
  clock: Clock
  plan: () => Promise<readonly CurvePlan[]>
}

/**
 * The server's JWK Set, fetched on first use and cached for its
 * `Cache-Control: max-age`. Concurrent callers share one in-flight fetch, so a
 * burst of requests (or of `unknown_key` answers) costs one download.
 */
export function jwksKeySource(options: JwksSourceOptions): KeySource {
  let cached: { key: RecipientKey; expiresAt: number } | undefined
  let inflight: Promise<RecipientKey> | undefined

  async function download(): Promise<RecipientKey> {
    let res: Response
    try {
      // We are the cache (max-age above); an HTTP cache must not hand back the set we are replacing.
      // A redirect is never followed: 'manual' leaves it as a non-2xx answer (an opaque
      // one in browsers), refused below. Not 'error', which Workers (workerd) reject.
      res = await options.fetch(options.url, { method: 'GET', headers: { accept: 'application/json' }, cache: 'no-store', redirect: 'manual' })
    } catch (cause) {
      throw discoveryFailed('The JWK Set could not be fetched', cause)
    }
    if (!res.ok) {
      void res.body?.cancel().catch(() => undefined)
      throw discoveryFailed(`The JWK Set answered HTTP ${res.status}`)
    }
    let text: string | undefined
    try {
      text = await readCappedText(res, MAX_JWKS_BYTES)
    } catch (cause) {
      throw discoveryFailed('The JWK Set could not be read', cause)
    }
    if (text === undefined) throw discoveryFailed(`The JWK Set is larger than ${MAX_JWKS_BYTES} bytes`)
    let keys: unknown
    try {
      keys = (JSON.parse(text) as { keys?: unknown }).keys
    } catch (cause) {
      throw discoveryFailed('The JWK Set is not JSON', cause)
    }
    if (!Array.isArray(keys)) throw discoveryFailed('The JWK Set has no "keys" array')
    const key = await selectRecipientKey(keys, await options.plan())
    if (key === undefined) throw discoveryFailed('The JWK Set holds no key this client can use')
    cached = { key, expiresAt: options.clock() + cacheLifetimeSeconds(res.headers.get('cache-control')) * 1000 }
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
