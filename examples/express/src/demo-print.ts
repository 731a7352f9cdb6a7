// Formatting for the demo's output: short envelopes, readable headers, colour
// only on a terminal (and never with NO_COLOR).
const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb'
const paint = (code: string) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text)
export const bold = paint('1')
export const dim = paint('2')
export const green = paint('32')
export const red = paint('31')
export const cyan = paint('36')

/** `eyJhbGciOiJFQ0RI…Zk3Lw (571 chars)`: enough to recognise, short enough to read. */
export function short(text: string, head = 36, tail = 10): string {
  return text.length <= head + tail + 1 ? text : `${text.slice(0, head)}…${text.slice(-tail)} ${dim(`(${text.length} chars)`)}`
}

/** The five parts of a JWE compact serialization and their lengths (RFC 7516 §7.1). */
export function jweParts(jwe: string): string {
  const [header, key, iv, ciphertext, tag] = jwe.split('.').map((p) => p.length)
  return dim(`protected header ${header} · encrypted key ${key} · iv ${iv} · ciphertext ${ciphertext} · tag ${tag} chars`)
}

/** The protected header of a JWE: readable by anyone on the path (and authenticated), so it holds no secret. */
export function protectedHeader(jwe: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>
}

export function describeRequestHeader(h: Record<string, unknown>): string {
  const kid = typeof h.kid === 'string' ? `${h.kid.slice(0, 10)}…` : '?'
  const crv = (h.epk as { crv?: string } | undefined)?.crv ?? '?'
  const jti = typeof h.jti === 'string' ? `${h.jti.slice(0, 10)}…` : '?'
  // shd announces the sealed head; crit ["shd"] says it carries fields or a query a server must restore.
  const head = h.shd === undefined ? '' : ` · shd ${h.shd}${Array.isArray(h.crit) ? ` · crit ${h.crit.join(',')}` : ''}`
  // Within a session: no kid, no epk, the session's id instead.
  const keyed = typeof h.sid === 'string' ? `sid ${h.sid.slice(0, 10)}… (no epk)` : `kid ${kid} (${crv})${h.epk === undefined ? '' : ' · epk'}`
  return `alg ${h.alg} · enc ${h.enc} · ${keyed} · htm ${h.htm} · htu ${h.htu} · iat ${h.iat} · jti ${jti}${head}${h.ses === 1 ? ' · ses 1 (offers a session)' : ''}`
}

export function describeResponseHeader(h: Record<string, unknown>): string {
  const jti = typeof h.jti === 'string' ? `${h.jti.slice(0, 10)}…` : '?'
  const ses = h.ses as { sid?: string; exp?: number } | undefined
  const session = typeof ses?.sid === 'string' ? ` · ses sid ${ses.sid.slice(0, 10)}…, spk, exp ${ses.exp}` : ''
  const stream = typeof h.str === 'string' ? ` · str ${h.str} (a stream: records follow, under a key derived from rk and this salt)` : ''
  return `alg ${h.alg} · enc ${h.enc} · typ ${h.typ} · sts ${h.sts} · cty ${h.cty} · jti ${jti}${session}${stream}`
}

export const line = (label: string, text: string) => console.log(`   ${dim(label.padEnd(13))}${text}`)
export const json = (value: unknown) => JSON.stringify(value)

/** Where two strings of equal length differ, shown in context: `…q8Zx4T[k]9vB…`. */
export function difference(before: string, after: string, context = 10): { before: string; after: string; index: number } {
  let i = 0
  while (i < before.length && before[i] === after[i]) i++
  let j = 0
  while (j < before.length - i && before[before.length - 1 - j] === after[after.length - 1 - j]) j++
  const show = (s: string) => `…${s.slice(Math.max(0, i - context), i)}${bold(`[${s.slice(i, s.length - j)}]`)}${s.slice(s.length - j, s.length - j + context)}…`
  return { before: show(before), after: show(after), index: i }
}
