/**
 * ` from <origin>: <reason>` for a fetch that threw, with the fix
 * (keys/fetch-failure.ts), or '' when that explanation cannot be loaded. The
 * sentences load only now, with `import()`, so the eager bundle does not carry
 * them; a failed load (offline, as the fetch was) just leaves them out.
 */
export function whyFetchFailed(cause: unknown, href: string): Promise<string> {
  return import('../keys/fetch-failure.js').then(
    (m) => m.explainFetchFailure(cause, href),
    () => '',
  )
}

/**
 * What a sealed request whose `fetch` threw rejects with. A network failure
 * (a `TypeError`, as `fetch` throws it: Node's bare "fetch failed", a
 * browser's "Failed to fetch") becomes a `TypeError` that says why and what to
 * do, with the original's cause (Node's system error) or the original as its
 * `cause`: still a `TypeError`, so code that catches
 * network failures from `fetch` keeps working. Anything else (an abort, a
 * custom `fetch`'s own error) is the caller's, and is rethrown as it is.
 */
export async function requestNotSent(cause: unknown, href: string): Promise<unknown> {
  if (!(cause instanceof TypeError)) return cause
  // The same shape as Node's own "fetch failed": the system error (`code: 'ECONNREFUSED'`…) as the
  // cause, so code that reads `err.cause.code` after a fetch keeps working; a browser's error has none.
  const root = (cause as { cause?: unknown }).cause
  return new TypeError(`No answer to the sealed request${await whyFetchFailed(cause, href)}`, { cause: root instanceof Error ? root : cause })
}
