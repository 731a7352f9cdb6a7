import { formatBytes, plaintextEquivalent } from './byte-units.js'

/**
 * The longer error sentences of the exchange and of key discovery: each names
 * the setting behind a refusal and the fix. Loaded with `import()` only on
 * the error path (see `sentence` in lazy-sentence.ts), so the eager browser
 * bundle does not carry them.
 */

/** What a request sent, for the messages of refusals that concern its size. */
export interface SentEnvelope {
  /** The envelope's length: characters, and bytes (it is ASCII). */
  bytes: number
  placement: 'body' | 'header'
}

const sentSize = (sent: SentEnvelope | undefined) => (sent === undefined ? '' : `: the envelope sent is ${sent.bytes} bytes (${formatBytes(sent.bytes)})`)

/** The server's own 413 `payload_too_large`: its `maxBodyBytes`, or the envelope header's cap. */
export function serverTooLarge(sent: SentEnvelope | undefined): string {
  if (sent?.placement === 'header') {
    return `The server refused the Sealwire-Envelope header as too large (413 payload_too_large): it is ${sent.bytes} characters. Send a shorter query or fewer sealed header fields, or use POST (the envelope then travels in the body)`
  }
  return `The server refused the envelope as too large (413 payload_too_large)${sentSize(sent)}, over the server's maxBodyBytes option (default 1 MiB). Send a smaller body, or raise maxBodyBytes on the server`
}

/** A 413 that is not a Sealwire refusal: a proxy's body limit in front of the server. */
export function proxyTooLarge(sent: SentEnvelope | undefined): string {
  return `Something in front of the server refused the request as too large (HTTP 413, not a Sealwire refusal)${sentSize(sent)}. Raise the proxy's body limit (nginx: client_max_body_size; a load balancer's or platform's request size limit), or send a smaller body`
}

/**
 * A sealed answer over `maxResponseBytes`, in both units: the limit counts the
 * envelope, people think in the plaintext (about 3/4 of it). The size itself
 * only when the answer declared one (a chunked one is not read past the limit).
 */
export function responseTooLarge(declared: string | undefined, maxResponseBytes: number): string {
  const limit = `maxResponseBytes = ${maxResponseBytes} (≈ ${formatBytes(plaintextEquivalent(maxResponseBytes))} of plaintext)`
  const size = declared !== undefined && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined
  const what = size !== undefined && size > maxResponseBytes ? `is ${size} bytes (≈ ${formatBytes(plaintextEquivalent(size))} of plaintext) over ${limit}` : `is over ${limit}`
  return `The sealed answer ${what}: raise maxResponseBytes, or ask for less`
}

/** `unknown_key` for a pinned key: nothing to refetch, so the fix is the deployment's. */
export function stalePins(kid: string): string {
  return (
    `The server does not hold the pinned key ${kid} (unknown_key): the pins are stale, the server has rotated its keys. ` +
    'Ship its current public keys in the keys option (sealwire keys public prints them), or let the client follow rotations: ' +
    'leave keys out to fetch the JWK Set, or pin a root with jwksRoot (signed key sets)'
  )
}

/** The server's 500 saying it has no valid signed key set (docs/PROTOCOL.md §2.1). */
export function noValidSignedSet(): string {
  return (
    'The server has no valid signed key set to serve (HTTP 500): the set it was given has expired, or lists a key the server no longer holds. ' +
    "Re-sign the server's public keys with sealwire keys sign and deploy the new set; the server's log names the reason"
  )
}

/**
 * A request the server refused with a sealed head it cannot restore (its
 * `crit`): the server predates the extension.
 */
export function sealedHeadUnsupported(): string {
  return (
    'The server refused the sealed header fields and query (Authorization, API keys, the query string): it runs a Sealwire server without the sealed head extension. ' +
    'Upgrade @sealwire/server; until then, a field or query the server must read can only be sent in clear (clearHeaders, sealQuery: false), where every TLS terminator on the way reads it.'
  )
}

/** What a `stale_request`'s `Date` told the client about its clock. */
export type StaleClock =
  | { kind: 'no_date' }
  | { kind: 'beyond_bound'; maxCorrectionMs: number }
  /** The offset now learnt (server time minus local time, ms). */
  | { kind: 'skewed'; offsetMs: number }
  /** The clocks agree. */
  | { kind: 'delayed' }

/** A `stale_request`: why, what was learnt, and that the request was not resent. */
export function staleRequest(clock: StaleClock): string {
  const notResent = 'This request was not resent: an unauthenticated refusal cannot prove it did not run. Resend it if it is safe to run twice'
  switch (clock.kind) {
    case 'no_date':
      return `The server refused the request as outside its time window and sent no readable Date header, so the clock offset was not learnt. ${notResent}; keep the device clock on NTP (in a browser, the server must send Access-Control-Expose-Headers: Date)`
    case 'beyond_bound':
      return `The server clock differs by more than the allowed correction (maxClockCorrectionSeconds = ${clock.maxCorrectionMs / 1000}), so the offset was not learnt. ${notResent}; keep the device clock on NTP`
    case 'skewed':
      return `The device clock is off by about ${Math.round(Math.abs(clock.offsetMs) / 1000)} s (${clock.offsetMs < 0 ? 'ahead of' : 'behind'} the server); later requests are corrected. ${notResent}; keep the device clock on NTP`
    case 'delayed':
      return `The server refused the request as outside its time window though the clocks agree: it was delayed on its way (or held and replayed). ${notResent}`
  }
}
