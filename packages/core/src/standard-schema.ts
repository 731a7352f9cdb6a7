import { SealwireError, type PayloadIssue } from './errors.js'

/**
 * The Standard Schema v1 interface (https://standardschema.dev), copied as its
 * authors intend so that no dependency is needed. Zod 3.24+ and 4 (`zod`,
 * `zod/mini`), Valibot 1 and ArkType 2 schemas implement it. Core owns it: the
 * client validates responses and the server validates request bodies with it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> }

export interface StandardIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** The output type of a schema. */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output']

/** Whether a value is a Standard Schema (duck-typed: the schema library is the app's, any copy of it). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null | undefined)?.['~standard']
  return typeof standard === 'object' && standard !== null && standard.version === 1 && typeof standard.validate === 'function'
}

const keyOf = (p: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const key = typeof p === 'object' && p !== null ? p.key : p
  return typeof key === 'number' ? key : String(key)
}

/**
 * Issues as paths and messages, never the submitted values: zod names
 * unrecognized keys in its message (the keys are the requester's data),
 * Valibot quotes the received value (`… but received "x"`), and ArkType
 * appends it (`must be positive (was -5)`; a union's `expected` quotes it
 * too), so those messages are rebuilt from what the schema expected.
 */
export function standardIssues(issues: ReadonlyArray<StandardIssue>): PayloadIssue[] {
  // Array.from, not .map: plain arrays, not the library's own (ArkType's issues and paths are Array subclasses, which .map keeps).
  return Array.from(issues, (issue) => {
    const i = issue as StandardIssue & { code?: unknown; kind?: unknown; expected?: unknown; received?: unknown; actual?: unknown }
    let message = i.message
    if (i.code === 'unrecognized_keys') message = 'Unrecognized keys'
    else if (i.kind !== undefined && typeof i.received === 'string' && typeof i.expected === 'string') message = `Invalid value: expected ${i.expected}`
    else if (typeof i.actual === 'string' && typeof i.expected === 'string' && message.includes('(was ')) {
      message = i.expected.includes('(was ') ? 'Invalid value' : `must be ${i.expected}`
    }
    return { path: Array.from(i.path ?? [], keyOf), message }
  })
}

/** The value at an issue's path in the body, or undefined. */
function valueAt(body: unknown, path: ReadonlyArray<string | number>): unknown {
  let at = body
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined
    at = (at as Record<string | number, unknown>)[key]
  }
  return at
}

/**
 * `standardIssues`, then a last guard on what the server answers and logs:
 * libraries word some issues with the submitted value itself (Valibot's
 * `Received "…"` on checks with no `expected`, zod 3's enum, ArkType's
 * parse errors), and name a refused key in the message (ArkType's
 * `'+': 'reject'`, Valibot's `strictObject`). A message that contains the
 * primitive value at its path (3 characters or more: shorter ones collide with
 * limits such as "at least 1") says only `Invalid value`; a refused key is
 * `Unrecognized keys` at its parent's path. Paths still name members, record
 * keys included (SECURITY.md).
 */
function requesterSafeIssues(issues: ReadonlyArray<StandardIssue>, body: unknown): PayloadIssue[] {
  return standardIssues(issues).map((issue, n) => {
    const raw = issues[n] as StandardIssue & { expected?: unknown; type?: unknown }
    if (raw.expected === 'removed' || raw.type === 'strict_object') return { path: issue.path.slice(0, -1), message: 'Unrecognized keys' }
    const value = valueAt(body, issue.path)
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' ? String(value) : undefined
    return text !== undefined && text.length >= 3 && issue.message.includes(text) ? { path: issue.path, message: 'Invalid value' } : issue
  })
}

/** Outcome of `validateBody`: the schema's output, or the error to answer (sealed) with. */
export type ValidateOutcome<T> = { ok: true; value: T } | { ok: false; error: SealwireError }

/**
 * Runs a route schema on a decrypted body (wire protocol step 11). Issues
 * become `invalid_payload` (422). A schema that throws (e.g. a zod
 * `.transform(JSON.parse)` on a string that is not JSON) is refused the same
 * way: the throw came from the requester's input, and bad input is a 4xx,
 * never a 5xx. The thrown error is not kept as the cause: its message may
 * quote the plaintext (V8's JSON.parse does), and causes reach logs.
 *
 * @example
 * const checked = await validateBody(Transfer, body)
 * if (!checked.ok) throw checked.error // SealwireError('invalid_payload')
 */
export async function validateBody<S extends StandardSchemaV1>(schema: S, body: unknown): Promise<ValidateOutcome<InferOutput<S>>> {
  let result: StandardResult<unknown>
  try {
    result = await schema['~standard'].validate(body)
  } catch (err) {
    const name = err instanceof Error ? err.name : typeof err
    return {
      ok: false,
      error: new SealwireError('invalid_payload', {
        issues: [{ path: [], message: 'The route schema could not process the body' }],
        cause: new Error(`route schema (${schema['~standard'].vendor}) threw ${name}`),
      }),
    }
  }
  if (result.issues !== undefined) return { ok: false, error: new SealwireError('invalid_payload', { issues: requesterSafeIssues(result.issues, body) }) }
  return { ok: true, value: result.value as InferOutput<S> }
}
