import { PROBLEM_MEDIA_TYPE, standardIssues } from '@sealwire/core'
import type { ClientState } from './client-state.js'
import { SealwireHttpError, SealwireSchemaError, type ProblemDocument } from './errors.js'
import { isJsonMediaType, mediaTypeOf } from './exchange/media-type.js'
import { resolveUrl } from './exchange/resolve-url.js'
import { sealedExchange } from './exchange/sealed-exchange.js'
import { headPolicyOf } from './exchange/sealed-fetch.js'
import type { StandardSchemaV1 } from './standard-schema.js'

/** Options of the conveniences (`client.get`, `client.post`, …). */
export interface JsonRequestOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /** Validates (and types) the decrypted 2xx body: any Standard Schema, e.g. a zod schema. */
  schema?: S
  headers?: HeadersInit
  signal?: AbortSignal
  /** More header fields to seal for this request (see the client's `sealHeaders`). */
  sealHeaders?: readonly string[]
  /** Fields to send in clear for this request although they would be sealed (see the client's `clearHeaders`). */
  clearHeaders?: readonly string[]
  /** Whether this request's query travels inside the envelope; default: the client's `sealQuery`. */
  sealQuery?: boolean
}

async function parseBody(res: Response): Promise<unknown> {
  const text = await res.text()
  if (text === '' || !isJsonMediaType(res.headers.get('content-type'))) return text === '' ? undefined : text
  try {
    return JSON.parse(text)
  } catch {
    // An error answer is still reported as one, with its text; a success that is not JSON is a server bug.
    if (!res.ok) return text
    // Not JSON.parse's SyntaxError, nor as cause: V8's message quotes the start of
    // the decrypted body (a token, personal data), and apps send errors to logs.
    throw new SealwireSchemaError(res.status, [{ path: [], message: 'response is not JSON' }])
  }
}

/** The `SealwireHttpError` of a non-2xx answer, with its decrypted problem when it is one. */
export async function httpError(res: Response): Promise<SealwireHttpError> {
  const value = await parseBody(res)
  const isProblem = mediaTypeOf(res.headers.get('content-type')) === PROBLEM_MEDIA_TYPE && typeof value === 'object' && value !== null
  return new SealwireHttpError(res.status, value, isProblem ? (value as ProblemDocument) : undefined)
}

/**
 * One JSON request: seal `body`, send, open, parse; non-2xx throws
 * `SealwireHttpError` with the decrypted problem; a schema, when given,
 * validates the 2xx body (`SealwireSchemaError`). A 2xx that claims JSON and
 * is not raises `SealwireSchemaError` too, with no body text in it.
 */
export async function jsonRequest(state: ClientState, method: string, path: string, body: unknown, options: JsonRequestOptions = {}): Promise<unknown> {
  const init: RequestInit = {}
  if (options.signal !== undefined) init.signal = options.signal
  const headers = new Headers(options.headers)
  if (!headers.has('accept')) headers.set('accept', 'application/json')
  const res = await sealedExchange(state, { url: resolveUrl(state, path), method, headers, body, init, head: headPolicyOf(options) })
  if (!res.ok) throw await httpError(res)
  const value = await parseBody(res)
  if (options.schema === undefined) return value
  const result = await options.schema['~standard'].validate(value)
  if (result.issues !== undefined) {
    throw new SealwireSchemaError(res.status, standardIssues(result.issues))
  }
  return result.value
}
