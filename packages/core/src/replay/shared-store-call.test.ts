import { describe, expect, it } from 'vitest'
import { isSealwireError } from '../errors.js'
import { checkReplayInput, withinDeadline } from './shared-store-call.js'

const codeOf = async (work: () => unknown) => {
  try {
    await work()
  } catch (error) {
    return isSealwireError(error) ? error.code : String(error)
  }
  return 'no error'
}

describe('shared store calls', () => {
  it('checkReplayInput refuses what no store should record, as replay_guard_unavailable', async () => {
    expect(await codeOf(() => checkReplayInput('jti', Date.now()))).toBe('no error')
    for (const [jti, expiresAt] of [['', 1], [undefined, 1], ['jti', Number.NaN], ['jti', Infinity], ['jti', '1']] as const) {
      expect(await codeOf(() => checkReplayInput(jti, expiresAt))).toBe('replay_guard_unavailable')
    }
  })

  it('withinDeadline passes an answer through, and turns a rejection or silence into replay_guard_unavailable', async () => {
    expect(await withinDeadline(Promise.resolve('OK'), 100, 'x')).toBe('OK')
    expect(await codeOf(() => withinDeadline(Promise.reject(new Error('down')), 100, 'x'))).toBe('replay_guard_unavailable')
    let aborted = false
    const started = Date.now()
    const error = await withinDeadline(new Promise(() => {}), 50, 'the store did not answer', () => (aborted = true)).catch((e: Error) => e)
    expect(isSealwireError(error) && error.code).toBe('replay_guard_unavailable')
    expect(String((error as Error & { cause: Error }).cause.message)).toBe('the store did not answer within 50 ms')
    expect(aborted).toBe(true)
    expect(Date.now() - started).toBeLessThan(1_000)
  })
})
