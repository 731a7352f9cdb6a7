/** "12 s", "2 min 5 s", "3 h 4 min", "2 d 1 h": an interval a person reads at a glance. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.abs(Math.round(totalSeconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return join(Math.floor(s / 60), 'min', s % 60, 's')
  if (s < 86_400) return join(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min')
  return join(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3600), 'h')
}

function join(a: number, ua: string, b: number, ub: string): string {
  return b === 0 ? `${a} ${ua}` : `${a} ${ua} ${b} ${ub}`
}

/** "12 s ago", "3 s in the future", "now". */
export function formatAge(ageSeconds: number): string {
  if (ageSeconds === 0) return 'now'
  return ageSeconds > 0 ? `${formatDuration(ageSeconds)} ago` : `${formatDuration(ageSeconds)} in the future`
}

/** Byte count with its unit, exact under 10 KiB so sizes can be compared with expectations. */
export function formatBytes(n: number): string {
  if (n < 10 * 1024) return `${n} B`
  if (n < 10 * 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** Left-aligned "label  value" lines. */
export function table(rows: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n')
}

/** Epoch seconds as ISO 8601 UTC without the always-zero milliseconds. */
export function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000)
  // Date covers ±8.64e15 ms; a hostile iat may lie far beyond.
  return Number.isNaN(date.getTime()) ? 'beyond the range of dates' : date.toISOString().replace('.000Z', 'Z')
}
