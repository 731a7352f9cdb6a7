/**
 * The one error class, the one code table, and RFC 9457 problem rendering:
 * every code has a 4xx/5xx status and renders without `cause` or a stack.
 */
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, ERROR_TABLE, PRE_DECRYPTION_CODES, SealwireError, isSealwireError, isSealwireErrorCode, problemType } from './errors.js'
import { PROBLEM_MEDIA_TYPE, renderProblem, toProblem } from './problem.js'

const SERVER_CODES = [
  'insecure_transport',
  'unsupported_media_type',
  'payload_too_large',
  'malformed_envelope',
  'unsupported_algorithm',
  'unknown_key',
  'stale_request',
  'decryption_failed',
  'binding_mismatch',
  'replayed_request',
  'replay_guard_unavailable',
  'invalid_payload',
  'internal_error',
] as const
const CLIENT_CODES = ['response_not_encrypted', 'response_binding_mismatch', 'response_decryption_failed', 'key_discovery_failed'] as const

describe('ERROR_CODES and ERROR_TABLE', () => {
  it('list the protocol codes once each (server codes in the check order), the table exactly those', () => {
    // Adding a code is compatible; removing or renaming one is not.
    expect([...ERROR_CODES]).toEqual(expect.arrayContaining([...SERVER_CODES, ...CLIENT_CODES]))
    expect(ERROR_CODES.filter((c) => (SERVER_CODES as readonly string[]).includes(c))).toEqual([...SERVER_CODES])
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
    expect(Object.keys(ERROR_TABLE).sort()).toEqual([...ERROR_CODES].sort())
  })

  it('map every code to a 4xx or 5xx status and a title', () => {
    for (const code of ERROR_CODES) {
      const { status, title } = ERROR_TABLE[code]
      expect(Number.isInteger(status) && status >= 400 && status <= 599, code).toBe(true)
      expect(title.length, code).toBeGreaterThan(0)
    }
  })

  it('use the statuses of docs/PROTOCOL.md §5', () => {
    const statuses = Object.fromEntries(ERROR_CODES.map((c) => [c, ERROR_TABLE[c].status]))
    expect(statuses).toMatchObject({
      insecure_transport: 403,
      unsupported_media_type: 415,
      payload_too_large: 413,
      malformed_envelope: 400,
      unsupported_algorithm: 400,
      unknown_key: 400,
      stale_request: 400,
      decryption_failed: 400,
      too_many_failures: 429,
      binding_mismatch: 400,
      replayed_request: 409,
      replay_guard_unavailable: 503,
      invalid_payload: 422,
      internal_error: 500,
      response_not_encrypted: 502,
      response_binding_mismatch: 502,
      response_decryption_failed: 502,
      key_discovery_failed: 502,
      // A sealed stream's verdicts (§12): bad input after the header line opened, so 400 and sealed.
      stream_truncated: 400,
      stream_record_invalid: 400,
      stream_record_too_large: 400,
      stream_trailing_data: 400,
      stream_upload_unsupported: 502,
    })
    for (const code of ['stream_truncated', 'stream_record_invalid', 'stream_record_too_large', 'stream_trailing_data'] as const) expect(ERROR_TABLE[code].plain, code).toBeUndefined()
    // Bad input is never a 5xx: only the fail-closed replay guard and a handler's own throw are.
    const serverErrors = SERVER_CODES.filter((c) => ERROR_TABLE[c].status >= 500)
    expect(serverErrors).toEqual(['replay_guard_unavailable', 'internal_error'])
  })

  it('isSealwireErrorCode accepts the codes only, not inherited names', () => {
    for (const code of ERROR_CODES) expect(isSealwireErrorCode(code)).toBe(true)
    for (const value of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'MALFORMED_ENVELOPE', '', 400, null, undefined]) {
      expect(isSealwireErrorCode(value), String(value)).toBe(false)
    }
  })

  it('problemType is a URN per code', () => {
    expect(problemType('replayed_request')).toBe('urn:sealwire:problem:replayed_request')
  })
})

describe('SealwireError', () => {
  it('carries code, status, the table title as message, and cause', () => {
    const cause = new Error('jose: JWEDecryptionFailed')
    const error = new SealwireError('decryption_failed', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(isSealwireError(error)).toBe(true)
    expect(isSealwireError(new Error('x'))).toBe(false)
    expect(error.name).toBe('SealwireError')
    expect(error.code).toBe('decryption_failed')
    expect(error.status).toBe(400)
    expect(error.message).toBe(ERROR_TABLE.decryption_failed.title)
    expect(error.cause).toBe(cause)
    expect(error.issues).toBeUndefined()
    expect(SealwireError.code).toBe('sealwire_error')
  })

  it('takes a safe detail as message, and no cause when none is given', () => {
    const error = new SealwireError('stale_request', { detail: 'iat is 90 s old' })
    expect(error.message).toBe('iat is 90 s old')
    expect('cause' in error).toBe(false)
  })
})

describe('toProblem / renderProblem (RFC 9457)', () => {
  for (const code of ERROR_CODES) {
    it(`renders ${code} as problem JSON without cause or stack`, () => {
      const secret = `SECRET-${code}-d=Kz9vQ`
      const cause = new Error(`internal: ${secret}`)
      const error = new SealwireError(code, { cause })
      const problem = toProblem(error)
      expect(problem).toEqual({ type: `urn:sealwire:problem:${code}`, title: ERROR_TABLE[code].title, status: ERROR_TABLE[code].status, code })
      const json = renderProblem(error)
      expect(JSON.parse(json)).toEqual(problem)
      for (const forbidden of [secret, 'cause', 'stack', 'SealwireError', '    at ']) expect(json, forbidden).not.toContain(forbidden)
    })
  }

  it('adds detail when the message is not the title, and issues as paths and messages only', () => {
    const error = new SealwireError('invalid_payload', {
      detail: 'Body does not match',
      issues: [
        { path: ['user', 0, 'email'], message: 'Invalid email address' },
        { path: [], message: 'nested deeper than 64 levels' },
      ],
      cause: { value: 'SECRET' },
    })
    const problem = toProblem(error)
    expect(problem).toEqual({
      type: 'urn:sealwire:problem:invalid_payload',
      title: ERROR_TABLE.invalid_payload.title,
      status: 422,
      code: 'invalid_payload',
      detail: 'Body does not match',
      issues: [
        { path: ['user', 0, 'email'], message: 'Invalid email address' },
        { path: [], message: 'nested deeper than 64 levels' },
      ],
    })
    expect(renderProblem(error)).not.toContain('SECRET')
  })

  it('copies issues, so the problem cannot be used to mutate the error', () => {
    const issues = [{ path: ['a'], message: 'm' }]
    const error = new SealwireError('invalid_payload', { issues })
    const problem = toProblem(error)
    // Types say readonly; a careless consumer (plain JS) may still push.
    ;(problem.issues![0]!.path as Array<string | number>).push('b')
    expect(error.issues![0]!.path).toEqual(['a'])
  })

  it('drops extra members an issue may carry (such as a zod issue with its input)', () => {
    const error = new SealwireError('invalid_payload', { issues: [{ path: ['pin'], message: 'Too big', input: '123456-SECRET' } as never] })
    expect(renderProblem(error)).not.toContain('SECRET')
  })

  it('uses the RFC 9457 media type', () => {
    expect(PROBLEM_MEDIA_TYPE).toBe('application/problem+json')
  })
})

describe('PRE_DECRYPTION_CODES', () => {
  it('is exactly the codes of steps 1–8, the only ones a server may answer unsealed', () => {
    expect([...PRE_DECRYPTION_CODES]).toEqual([
      'insecure_transport',
      'unsupported_media_type',
      'payload_too_large',
      'malformed_envelope',
      'unsupported_algorithm',
      'unknown_key',
      'unknown_session',
      'stale_request',
      'decryption_failed',
      'too_many_failures',
    ])
  })
})
