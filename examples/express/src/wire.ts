/** One HTTP message as it crossed the wire: what a proxy or a log on the path sees. */
export interface WireRequest {
  method: string
  url: string
  headers: Headers
  /** The body as sent (a JWE for a sealed request with a body), or null. */
  body: string | null
}

export interface WireResponse {
  status: number
  contentType: string
  /** The body as received: a JWE for a sealed answer, problem JSON for a plain refusal. */
  body: string
}

/** What the wire does to the next request: deliver it, deliver it twice, or alter it. */
export type WireMode = 'deliver' | 'replay' | 'tamper'

export interface Exchange {
  request: WireRequest
  /** The request as delivered, when the wire altered it. */
  tampered?: { request: WireRequest; segment: number; byte: number; from: number; to: number }
  responses: WireResponse[]
}

function b64urlDecode(s: string): Uint8Array {
  return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
}

function b64urlEncode(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Flips one bit of a ciphertext byte of a JWE compact serialization
 * (`header.key.iv.ciphertext.tag`, RFC 7516 §7.1): the AES-GCM tag no longer
 * matches, so the server cannot decrypt it (`decryption_failed`) — the
 * envelope cannot be altered undetected, not even by one bit.
 */
export function flipCiphertextByte(jwe: string, index = 0): { jwe: string; byte: number; from: number; to: number } {
  const parts = jwe.split('.')
  if (parts.length !== 5) throw new TypeError('not a JWE compact serialization')
  const ciphertext = b64urlDecode(parts[3]!)
  const byte = Math.min(index, ciphertext.length - 1)
  const from = ciphertext[byte]!
  ciphertext[byte] = from ^ 0x01
  parts[3] = b64urlEncode(ciphertext)
  return { jwe: parts.join('.'), byte, from, to: ciphertext[byte]! }
}

/**
 * A `fetch` that stands for the network between the client and the server:
 * it records every request and response as they cross, and on demand plays
 * the attacker — it sends the next request twice (a replay of the exact
 * bytes) or flips a ciphertext byte of it. Pass `wire.fetch` as the client's
 * `fetch` option.
 */
export function createWire(send: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) {
  let mode: WireMode = 'deliver'
  const exchanges: Exchange[] = []

  const deliver = async (request: WireRequest): Promise<{ response: Response; seen: WireResponse }> => {
    const response = await send(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' })
    const seen = { status: response.status, contentType: (response.headers.get('content-type') ?? '').split(';')[0]!, body: await response.clone().text() }
    return { response, seen }
  }

  async function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const req = new Request(input, init)
    const request: WireRequest = { method: req.method, url: req.url, headers: new Headers(req.headers), body: req.body === null ? null : await req.text() }
    const exchange: Exchange = { request, responses: [] }
    // Only sealed requests are attacked (and recorded as `last`): the client's
    // own JWK Set download passes untouched.
    const sealed = request.body !== null || request.headers.has('sealwire-envelope')
    if (!sealed) return (await deliver(request)).response
    exchanges.push(exchange)
    const current = mode
    mode = 'deliver' // an attack applies to one request

    if (current === 'tamper' && request.body !== null) {
      const flipped = flipCiphertextByte(request.body, 7)
      const altered = { ...request, headers: new Headers(request.headers), body: flipped.jwe }
      exchange.tampered = { request: altered, segment: 3, byte: flipped.byte, from: flipped.from, to: flipped.to }
      const { response, seen } = await deliver(altered)
      exchange.responses.push(seen)
      return response
    }
    const first = await deliver(request)
    exchange.responses.push(first.seen)
    if (current !== 'replay') return first.response
    // The attacker sends the very same bytes again, after the original arrived.
    const again = await deliver(request)
    exchange.responses.push(again.seen)
    return again.response
  }

  return {
    fetch,
    /** Makes the wire replay or tamper with the next request only. */
    next(m: WireMode) {
      mode = m
    },
    /** The last sealed exchange that crossed the wire. */
    get last(): Exchange | undefined {
      return exchanges[exchanges.length - 1]
    },
  }
}

export type Wire = ReturnType<typeof createWire>
