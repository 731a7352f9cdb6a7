import { STATUS_CODES } from 'node:http'
import { expect } from 'vitest'
import type { RawResponse } from './http.js'

/**
 * Asserts that what travels in clear beside a sealed body tells nothing the
 * handler wrote: the status line has the standard reason phrase, no header
 * carries `secret`, and no Content-Disposition names the plaintext (issue 9, item 5).
 */
export function expectNothingInClear(res: RawResponse, secret: string): void {
  expect(res.headers['content-type']).toBe('application/jose')
  expect(res.statusMessage).toBe(STATUS_CODES[res.status])
  expect(res.headers['content-disposition']).toBeUndefined()
  expect(JSON.stringify(res.headers)).not.toContain(secret)
  expect(res.body).not.toContain(secret)
}
