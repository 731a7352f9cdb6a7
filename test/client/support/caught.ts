import { SealwireError } from '@sealwire/core'
import { expect } from 'vitest'

/** The error a promise rejects with; fails the test if it resolves or rejects with a non-Error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(Error)
  return err as Error
}

/** The SealwireError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<SealwireError> {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(SealwireError)
  return err as SealwireError
}
