import { importRecipientKey, type RecipientKey } from '@sealwire/core'
import type { CurvePlan } from '../crypto/crypto-plan.js'

/** More keys than any rotation needs; the rest are ignored, bounding the work a hostile set can cause. */
const MAX_KEYS_CONSIDERED = 16

/**
 * Picks the key to seal to: the first curve of the plan the set offers, and on
 * that curve the first key listed (the server lists its primary first). Every
 * candidate is validated by core's `importRecipientKey` (coordinates, kid =
 * RFC 7638 thumbprint); a key that fails is skipped, not trusted.
 *
 * @returns undefined when no key of the set is usable.
 */
export async function selectRecipientKey(keys: readonly unknown[], plan: readonly CurvePlan[]): Promise<RecipientKey | undefined> {
  const considered = keys.slice(0, MAX_KEYS_CONSIDERED)
  for (const { curve, backend } of plan) {
    for (const jwk of considered) {
      if (typeof jwk !== 'object' || jwk === null || (jwk as { crv?: unknown }).crv !== curve) continue
      try {
        return await importRecipientKey(jwk, backend)
      } catch {
        // Not a valid Sealwire key: try the next one.
      }
    }
  }
  return undefined
}
