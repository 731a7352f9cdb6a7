/**
 * The median over rounds of a/b, where each round ran both sides back to back:
 * a drift of the machine's speed between rounds then cancels out, where the
 * ratio of the two median rounds could take its two sides from rounds minutes
 * apart (this VM's speed drifts by up to 2× over minutes). The micro-benchmarks
 * and the Chromium page pair their sides the same way. Rounds missing on
 * either side, or with a zero `b`, are left out; the lower middle for an even
 * count, as every median of the bench.
 *
 * @example
 * pairedRatio([9, 5, 12], [10, 10, 12]) // 0.9: the ratios 0.9, 0.5, 1
 */
export function pairedRatio(a: readonly number[] | undefined, b: readonly number[] | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined
  const ratios = a.flatMap((v, i) => (b[i] === undefined || b[i] === 0 ? [] : [v / b[i]!])).sort((x, y) => x - y)
  return ratios[Math.floor((ratios.length - 1) / 2)]
}
