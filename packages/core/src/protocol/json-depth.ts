/** Default cap on the nesting of a decrypted body: deep enough for real payloads, far from stack limits. */
export const DEFAULT_MAX_JSON_DEPTH = 64

/**
 * Whether a parsed JSON value nests deeper than `max` arrays/objects.
 *
 * `JSON.parse` accepts 500 000 levels, and the handler's own recursive walk
 * (`JSON.stringify`, a validator) would then overflow the stack. This walk
 * recurses too, but never deeper than `max + 1` (it stops there), and it
 * allocates nothing per node: no work list, no `Object.values` copy. Scalars,
 * the bulk of a large body, cost one `typeof` each.
 */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  return exceeds(value, max)
}

/** `budget`: how many more levels of nesting are allowed at `node`. */
function exceeds(node: unknown, budget: number): boolean {
  if (typeof node !== 'object' || node === null) return false
  if (budget === 0) return true
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (exceeds(node[i], budget - 1)) return true
    return false
  }
  // JSON.parse makes plain objects with own, enumerable members only (`__proto__` included, as a member).
  for (const key in node) if (exceeds((node as Record<string, unknown>)[key], budget - 1)) return true
  return false
}
