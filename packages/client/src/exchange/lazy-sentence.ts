type Sentences = typeof import('./size-and-key-sentences.js')

/**
 * A sentence of size-and-key-sentences.ts, loaded only now, on the error
 * path; `fallback` (short) when the load fails, as it may offline.
 */
export function sentence(pick: (m: Sentences) => string, fallback: string): Promise<string> {
  return import('./size-and-key-sentences.js').then(pick, () => fallback)
}
