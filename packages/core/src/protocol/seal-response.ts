import { CONTENT_ENCRYPTION_ALG, RESPONSE_KEY_MANAGEMENT_ALG, RESPONSE_TYP } from '../constants.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { platform } from '#platform'
import { utf8 } from '../encoding.js'
import type { ReplyContext } from './request-descriptor.js'

export interface SealResponseOptions {
  /** From `openRequest` (or `replyContextOf(error)`). */
  reply: ReplyContext
  /** The HTTP status the response is sent with; sealed as `sts`. */
  status: number
  /** Media type of the plaintext, sealed as `cty` (e.g. `application/json`). */
  contentType: string
  /** The response body: bytes, or text encoded as UTF-8. */
  body: Uint8Array | string
  backend?: CryptoBackend
}

/**
 * Seals a response to the requester (wire protocol v1 §4): `dir` + A256GCM with
 * the request's `rk`, bound to its `jti` and to the HTTP status.
 *
 * @example
 * const jwe = await sealResponse({ reply, status: 200, contentType: 'application/json', body: '{"ok":true}' })
 */
export function sealResponse(options: SealResponseOptions): Promise<string> {
  const { reply, status, contentType } = options
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new TypeError('status must be an HTTP status code')
  const header = { alg: RESPONSE_KEY_MANAGEMENT_ALG, enc: CONTENT_ENCRYPTION_ALG, typ: RESPONSE_TYP, jti: reply.jti, sts: status, cty: contentType }
  const body = typeof options.body === 'string' ? utf8(options.body) : options.body
  return (options.backend ?? platform.backend).sealWithSecret(body, header, reply.rk)
}
