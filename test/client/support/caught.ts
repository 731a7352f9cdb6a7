import { SealwireError } from '@sealwire/core'
import { expect } from 'vitest'

/** The SealwireError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<SealwireError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SealwireError)
  return err as SealwireError
}
