import {
  ENVELOPE_HEADER,
  JOSE_MEDIA_TYPE,
  KeyRing,
  generateKeyPair,
  importRecipientKey,
  openResponse,
  sealRequest,
  type Curve,
  type Problem,
  type RecipientKey,
  type SealedRequest,
} from '@sealwire/core'
import { rawRequest, type RawRequestOptions, type RawResponse } from './http.js'

export interface TestKeys {
  ring: KeyRing
  recipients: Record<Curve, RecipientKey>
  /** A key the server does not hold. */
  foreign: RecipientKey
}

/** A server key ring with both curves, and the client's view of it. */
export async function testKeys(): Promise<TestKeys> {
  const p256 = await generateKeyPair('P-256')
  const x25519 = await generateKeyPair('X25519')
  const other = await generateKeyPair('P-256')
  return {
    ring: await KeyRing.from([p256.privateJwk, x25519.privateJwk]),
    recipients: { 'P-256': await importRecipientKey(p256.publicJwk), X25519: await importRecipientKey(x25519.publicJwk) },
    foreign: await importRecipientKey(other.publicJwk),
  }
}

export interface SealOptions {
  recipient: RecipientKey
  method: string
  target: string
  body?: unknown
  clock?: () => number
  /** The origin to bind (`hto`), as a client sending there seals it. */
  origin?: string
}

export function seal(o: SealOptions): Promise<SealedRequest> {
  return sealRequest({ recipient: o.recipient, request: { method: o.method, target: o.target, origin: o.origin }, body: o.body, ...(o.clock ? { clock: o.clock } : {}) })
}

/** Sends a sealed request to `base + sealed target` the way a client would. */
export function sendSealed(base: string, method: string, target: string, sealed: SealedRequest, extra: RawRequestOptions = {}): Promise<RawResponse> {
  return rawRequest(base + target, {
    ...extra,
    method,
    headers: { ...sealed.headers, ...extra.headers },
    ...(sealed.httpBody === undefined ? {} : { body: sealed.httpBody }),
  })
}

export interface OpenedJson<T = unknown> {
  status: number
  contentType: string
  text: string
  json: T
}

/** Opens a sealed response (asserting it is one) and parses its JSON, if any. */
export async function openSealed<T = unknown>(res: RawResponse, sealed: SealedRequest): Promise<OpenedJson<T>> {
  if (res.headers['content-type'] !== JOSE_MEDIA_TYPE) throw new Error(`expected a sealed response, got ${res.status} ${res.headers['content-type']}: ${res.body}`)
  const opened = await openResponse(res.body, { reply: sealed.reply, status: res.status })
  const text = new TextDecoder().decode(opened.body)
  const isJson = /^application\/(problem\+)?json/.test(opened.contentType) && text !== ''
  return { status: opened.status, contentType: opened.contentType, text, json: (isJson ? JSON.parse(text) : undefined) as T }
}

/** Parses a plain problem response (asserting it is one). */
export function plainProblem(res: RawResponse): Problem {
  if (res.headers['content-type'] !== 'application/problem+json') throw new Error(`expected a plain problem, got ${res.status} ${res.headers['content-type']}: ${res.body}`)
  return JSON.parse(res.body) as Problem
}

const b64u = (s: string) => Buffer.from(s).toString('base64url')

/** The envelope with its protected header changed (and so no longer authentic). */
export function withHeader(envelope: string, patch: Record<string, unknown>): string {
  const [h, ...rest] = envelope.split('.')
  const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')), ...patch }
  return [b64u(JSON.stringify(header)), ...rest].join('.')
}

/** The envelope with one ciphertext byte flipped: the GCM tag no longer verifies. */
export function withFlippedCiphertext(envelope: string): string {
  const parts = envelope.split('.')
  const ct = Buffer.from(parts[3]!, 'base64url')
  ct[0] = ct[0]! ^ 0x01
  parts[3] = ct.toString('base64url')
  return parts.join('.')
}

export { ENVELOPE_HEADER, JOSE_MEDIA_TYPE }
