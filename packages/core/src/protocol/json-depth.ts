/** Default cap on the nesting of a decrypted body: deep enough for real payloads, far from stack limits. */
export const DEFAULT_MAX_JSON_DEPTH = 64

/**
 * Whether a parsed JSON value nests deeper than `max` arrays/objects.
 * Iterative on purpose: `JSON.parse` accepts 500 000 levels, and the handler's
 * own recursive walk (`JSON.stringify`, a validator) would then overflow the stack.
 */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (typeof node !== 'object' || node === null) continue
    if (depth + 1 > max) return true
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}
