import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { payloadIssues } from './compact.js'

describe('payloadIssues', () => {
  it('keeps paths and messages, never submitted values or key names', () => {
    const schema = z.strictObject({ amount: z.number().positive() })
    const result = schema.safeParse({ amount: -4217, 'alice@example.com': 'card 4111111111111111' })
    expect(result.success).toBe(false)
    const issues = payloadIssues(result.error!)
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining([['amount'], []]))
    const text = JSON.stringify(issues)
    for (const secret of ['-4217', 'alice@example.com', '4111111111111111']) expect(text).not.toContain(secret)
  })
})
