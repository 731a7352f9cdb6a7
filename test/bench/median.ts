/** The middle item by `key`: the lower of the two middle ones for an even count, as every median of the bench; undefined for none. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)]
}

/**
 * The median over rounds of a/b, where each round ran both sides back to back:
 * a drift of the machine's speed between rounds then cancels out, where the
 * ratio of the two median rounds could take its two sides from rounds minutes
 * apart (this VM's speed drifts by up to 2× over minutes). The micro-benchmarks
 * and the Chromium page pair their sides the same way. Rounds missing on
 * either side, or with a zero `b`, are left out.
 *
 * @example
 * pairedRatio([9, 5, 12], [10, 10, 12]) // 0.9: the ratios 0.9, 0.5, 1
 */
export function pairedRatio(a: readonly number[] | undefined, b: readonly number[] | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined
  return medianBy(
    a.flatMap((v, i) => (b[i] === undefined || b[i] === 0 ? [] : [v / b[i]!])),
    (r) => r,
  )
}
