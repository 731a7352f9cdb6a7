/**
 * invalid_payload never carries a submitted value, whichever library words the
 * issue (the read-only review's reproductions, with the real libraries): some
 * messages quote the value, or name a refused key.
 */
import { validateBody, type StandardSchemaV1 } from '@sealwire/core'
import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z as z3 } from 'zod3'
import { z as z4 } from 'zod'

const SECRET = 'S3CRET-4111'

const cases: Array<[string, StandardSchemaV1, unknown]> = [
  ['Valibot email (a check with no expected: "Received …")', v.object({ email: v.pipe(v.string(), v.email()) }), { email: SECRET }],
  ['Valibot custom check', v.object({ k: v.pipe(v.string(), v.check((s) => s.startsWith('ok'))) }), { k: SECRET }],
  ['Valibot strictObject (the refused key)', v.strictObject({ a: v.number() }), { a: 1, [SECRET]: true }],
  ['zod 3 enum ("received …")', z3.object({ k: z3.enum(['a', 'b']) }), { k: SECRET }],
  ['zod 4 enum', z4.object({ k: z4.enum(['a', 'b']) }), { k: SECRET }],
  ['ArkType string.json.parse (the parse error quotes the text)', type({ k: 'string.json.parse' }), { k: `${SECRET}{` }],
  ["ArkType '+': 'reject' (the refused key)", type({ '+': 'reject', a: 'number' }), { a: 1, [SECRET]: true }],
  ['ArkType number range', type({ k: 'number > 0' }), { k: -41114111 }],
]

describe('invalid_payload issues', () => {
  it.each(cases)('%s: refused, and no issue quotes the value or the key', async (_name, schema, body) => {
    const checked = await validateBody(schema, body)
    expect(checked.ok).toBe(false)
    if (checked.ok) return
    const issues = JSON.stringify(checked.error.issues)
    expect(checked.error.issues!.length).toBeGreaterThan(0)
    expect(issues).not.toContain(SECRET)
    expect(issues).not.toContain('41114111')
  })

  it('keeps the libraries\' own words where they quote nothing', async () => {
    const checked = await validateBody(z4.object({ n: z4.number().min(5) }), { n: 1 })
    expect(checked.ok ? [] : checked.error.issues).toEqual([{ path: ['n'], message: 'Too small: expected number to be >=5' }])
    const refused = await validateBody(type({ '+': 'reject', a: 'number' }), { a: 1, extra: true })
    expect(refused.ok ? [] : refused.error.issues).toEqual([{ path: [], message: 'Unrecognized keys' }])
  })
})
