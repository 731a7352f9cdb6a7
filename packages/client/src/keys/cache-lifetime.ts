/** How long a JWK Set is kept when the server sends no `Cache-Control: max-age`. */
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 300
/** Upper bound on any `max-age`: a rotated key must reach clients within a day whatever the header says. */
export const MAX_JWKS_MAX_AGE_SECONDS = 86_400

/**
 * Seconds a response may be reused, from its `Cache-Control` (RFC 9111 §5.2.2):
 * `no-store` or `no-cache` → 0; `max-age=N` → N (capped); absent → the default.
 */
export function cacheLifetimeSeconds(cacheControl: string | null): number {
  if (cacheControl === null) return DEFAULT_JWKS_MAX_AGE_SECONDS
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim())
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0
  for (const directive of directives) {
    const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive)
    if (match !== null) return Math.min(Number(match[1]), MAX_JWKS_MAX_AGE_SECONDS)
  }
  return DEFAULT_JWKS_MAX_AGE_SECONDS
}
