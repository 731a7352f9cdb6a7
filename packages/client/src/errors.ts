/**
 * An RFC 9457 problem document as decrypted from the server: Sealwire's own
 * (`code` is then one of core's `ERROR_CODES`) or the application's.
 */
export interface ProblemDocument {
  type?: string
  title?: string
  status?: number
  detail?: string
  /** Sealwire's stable code, or the application's own. */
  code?: string
  issues?: Array<{ path: Array<string | number>; message: string }>
  [member: string]: unknown
}

/**
 * A sealed, authentic non-2xx answer, thrown by the conveniences
 * (`client.get`, `client.post`, …). `client.fetch` returns such answers as a
 * `Response`, like `fetch`.
 *
 * @example
 * try { await client.post('/api/transfer', { amount: -1 }) }
 * catch (err) {
 *   if (err instanceof SealwireHttpError && err.code === 'invalid_payload') console.log(err.problem?.issues)
 * }
 */
export class SealwireHttpError extends Error {
  static readonly code = 'sealwire_http_error'
  /** The HTTP status, equal to the sealed `sts`. */
  readonly status: number
  /** The decrypted RFC 9457 problem, when the answer was `application/problem+json`. */
  readonly problem: ProblemDocument | undefined
  /** The decrypted body: parsed JSON, text, or undefined when empty. */
  readonly body: unknown

  constructor(status: number, body: unknown, problem: ProblemDocument | undefined) {
    super(typeof problem?.title === 'string' ? problem.title : `HTTP ${status}`)
    this.name = 'SealwireHttpError'
    this.status = status
    this.body = body
    this.problem = problem
  }

  /** The problem's code (e.g. `invalid_payload`, `replayed_request`), when it has one. */
  get code(): string | undefined {
    return typeof this.problem?.code === 'string' ? this.problem.code : undefined
  }
}

/** A path-and-message issue of a response that did not match the caller's schema. */
export interface SchemaIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/**
 * A sealed 2xx answer whose body does not match the schema the caller passed,
 * or that is labelled JSON and does not parse (one issue at the root:
 * `response is not JSON`; the body itself is quoted nowhere in the error).
 * The body came from the server, authenticated: this is a contract mismatch
 * between client and server, not an attack.
 *
 * @example
 * try { await client.get('/api/todos/1', { schema: Todo }) }
 * catch (err) { if (err instanceof SealwireSchemaError) console.log(err.issues) }
 */
export class SealwireSchemaError extends Error {
  static readonly code = 'sealwire_schema_error'
  readonly status: number
  readonly issues: readonly SchemaIssue[]

  constructor(status: number, issues: readonly SchemaIssue[]) {
    super(`Response does not match the schema: ${issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ')}`)
    this.name = 'SealwireSchemaError'
    this.status = status
    this.issues = issues
  }
}
