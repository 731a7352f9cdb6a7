/**
 * What the store and its Durable Object say to each other, one request per
 * check: `POST` a JSON `{ key, expiresAt }`; the object answers 200
 * `{ accepted: true | false }`, 422 when `expiresAt` is already past by its
 * clock, 400 for anything malformed. `GET` answers `{ stored: n }`, the
 * records it holds (expired ones awaiting their alarm included).
 *
 * Internal to this package: the only peers are its own two halves.
 */

/** The URL the store addresses its objects with; only the method is read. */
export const OBJECT_URL = 'https://sealwire-replay.internal/'

/** Longest key the object accepts: a prefix (≤ 256) and a jti, bounded so one record stays small. */
export const MAX_KEY_LENGTH = 2048

export interface CheckRequest {
  key: string
  expiresAt: number
}

export interface CheckAnswer {
  accepted: boolean
}

export function isCheckRequest(value: unknown): value is CheckRequest {
  const v = value as Partial<CheckRequest> | null
  return (
    typeof v === 'object' && v !== null &&
    typeof v.key === 'string' && v.key.length > 0 && v.key.length <= MAX_KEY_LENGTH &&
    typeof v.expiresAt === 'number' && Number.isSafeInteger(v.expiresAt) && v.expiresAt > 0
  )
}
