/**
 * Injectable time and randomness. Production uses the platform's; tests pass
 * their own so that freshness windows and nonces are reproducible.
 */

/** Milliseconds since the Unix epoch, like `Date.now`. */
export type Clock = () => number

/** Fills a fresh array of `length` cryptographically secure random bytes. */
export type RandomSource = (length: number) => Uint8Array

export const systemClock: Clock = () => Date.now()

export const systemRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length))
