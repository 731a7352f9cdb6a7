import { describe, expect, it } from 'vitest'
import * as z from 'zod/mini'
import { isSealwireError } from './errors.js'
import { isStandardSchema, standardIssues, validateBody, type StandardSchemaV1 } from './standard-schema.js'

describe('validateBody', () => {
  const Transfer = z.strictObject({ to: z.string(), amount: z.number() })

  it('returns the schema output', async () => {
    const out = await validateBody(Transfer, { to: 'a', amount: 1 })
    expect(out).toEqual({ ok: true, value: { to: 'a', amount: 1 } })
  })

  it('refuses with invalid_payload, paths and messages, no submitted key names', async () => {
    const out = await validateBody(Transfer, { to: 'a', amount: 1, SUBMITTED_KEY: 1 })
    expect(out.ok).toBe(false)
    if (out.ok) return
    expect(out.error.code).toBe('invalid_payload')
    expect(JSON.stringify(out.error.issues)).not.toContain('SUBMITTED_KEY')
  })

  it('a schema that throws is invalid_payload too, without the thrown message (it may quote the plaintext)', async () => {
    const Throwing = z.pipe(z.string(), z.transform((s: string): unknown => JSON.parse(s)))
    const out = await validateBody(Throwing, 'PLAINTEXT{')
    expect(out.ok).toBe(false)
    if (out.ok) return
    expect(isSealwireError(out.error)).toBe(true)
    expect([out.error.code, out.error.status]).toEqual(['invalid_payload', 422])
    expect(JSON.stringify(out.error.issues) + String((out.error.cause as Error).message)).not.toContain('PLAINTEXT')
  })

  it('awaits an async validator (Standard Schema allows a Promise)', async () => {
    const upper: StandardSchemaV1<unknown, string> = {
      '~standard': { version: 1, vendor: 'test', validate: async (v) => (typeof v === 'string' ? { value: v.toUpperCase() } : { issues: [{ message: 'not a string', path: [{ key: 'x' }] }] }) },
    }
    expect(await validateBody(upper, 'a')).toEqual({ ok: true, value: 'A' })
    const out = await validateBody(upper, 1)
    expect(out.ok ? undefined : out.error.issues).toEqual([{ path: ['x'], message: 'not a string' }])
  })
})

describe('standardIssues', () => {
  it("rebuilds Valibot's message, which quotes the received value", () => {
    const issues = standardIssues([{ message: 'Invalid type: Expected string but received "SECRET"', path: [{ key: 'to' }], kind: 'schema', expected: 'string', received: '"SECRET"' } as never])
    expect(issues).toEqual([{ path: ['to'], message: 'Invalid value: expected string' }])
  })

  // Issue shapes as arktype 2.2 reports them (test/server/matrix.test.ts runs the real library).
  it("rebuilds ArkType's message, which appends the value, and a union's, which quotes it in `expected` too", () => {
    const issues = standardIssues([
      { message: 'amount must be positive (was -987654)', path: ['amount'], code: 'min', expected: 'positive', actual: '-987654' },
      { message: 'kind must be "a" or "b" (was "SECRET")', path: ['kind'], code: 'union', expected: 'kind must be "a" or "b" (was "SECRET")', actual: '"SECRET"' },
      { message: 'to must be non-empty', path: ['to'], code: 'minLength', expected: 'non-empty', actual: '' },
    ] as never)
    expect(issues).toEqual([
      { path: ['amount'], message: 'must be positive' },
      { path: ['kind'], message: 'Invalid value' },
      { path: ['to'], message: 'to must be non-empty' },
    ])
  })
})

describe('isStandardSchema', () => {
  it('recognizes a schema, refuses anything else', () => {
    expect(isStandardSchema(z.string())).toBe(true)
    expect(isStandardSchema({ safeParse: () => ({}) })).toBe(false)
    expect(isStandardSchema(null)).toBe(false)
  })
})
