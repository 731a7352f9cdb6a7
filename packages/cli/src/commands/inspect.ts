import {
  CONTENT_ENCRYPTION_ALG,
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_SKEW_SECONDS,
  KEY_MANAGEMENT_ALG,
  REQUEST_TYP,
  RESPONSE_KEY_MANAGEMENT_ALG,
  RESPONSE_TYP,
  decodeProtectedHeader,
  requestHeaderSchema,
  responseHeaderSchema,
} from '@sealwire/core'
import { integerOption, parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { explain } from '../errors.js'
import { formatAge, formatBytes, formatDuration, isoSeconds, table } from '../format.js'
import { envelopeOf } from '../http-message.js'
import { readInputArg } from '../inputs.js'

/** Bytes of `{"rk":"<43 chars>","body":` + `}` around a request body in its plaintext (docs/PROTOCOL.md §3.3). */
const REQUEST_PLAINTEXT_OVERHEAD = 60
const GCM_IV_BYTES = 12
const GCM_TAG_BYTES = 16

export interface Finding {
  /** The code a peer would answer with, had it run the check that fails. */
  code: string
  message: string
}

export interface Inspection {
  kind: 'request' | 'response' | 'unknown'
  header: Record<string, unknown>
  parts: Record<'protected' | 'encryptedKey' | 'iv' | 'ciphertext' | 'tag', { chars: number; bytes: number }>
  iat: { value: number; time: string; ageSeconds: number; maxAgeSeconds: number; maxSkewSeconds: number; fresh: boolean } | undefined
  findings: Finding[]
}

export const inspect: Command = {
  path: ['inspect'],
  summary: "explain an envelope's protected header, without decrypting it",
  help: `Usage: sealwire inspect [--json] [--max-age S] [--max-skew S] <JWE|@FILE|->

Decodes a Sealwire envelope and explains what anyone on the path can read,
without any key and without decrypting: whether it is a request or a response
(typ), kid, alg/enc, the ephemeral key's curve, jti, the method and target it
is bound to (htm/htu), the age of iat against this machine's clock and the
server's freshness window, and the size of each of the five parts.

It also runs the checks a server makes before decrypting (docs/PROTOCOL.md §5,
steps 4-7, except the kid lookup) and lists those that would fail, with the
code the server would answer.

The input may be the JWE itself, @FILE, or - for stdin; a 'Sealwire-Envelope:'
header line or a whole 'curl -i' response dump works too.

Options:
  --json          print the inspection as JSON
  --max-age S     the server's maxAgeSeconds (default ${DEFAULT_MAX_AGE_SECONDS})
  --max-skew S    the server's maxSkewSeconds (default ${DEFAULT_MAX_SKEW_SECONDS})
  -h, --help      show this help

Exit status: 0 when the header could be decoded (even with findings), 1 when
the input is not a JWE compact serialization.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      () => parseArgs({ args: argv, options: { json: { type: 'boolean' }, 'max-age': { type: 'string' }, 'max-skew': { type: 'string' } }, allowPositionals: true, strict: true }),
      { max: 1, names: 'one envelope' },
    )
    const maxAge = integerOption(values['max-age'], 'max-age', { min: 0, max: 10 ** 9 }) ?? DEFAULT_MAX_AGE_SECONDS
    const maxSkew = integerOption(values['max-skew'], 'max-skew', { min: 0, max: 10 ** 9 }) ?? DEFAULT_MAX_SKEW_SECONDS
    const envelope = envelopeOf(await readInputArg(io, positionals[0], 'envelope', 'literal'))
    let result: Inspection
    try {
      result = inspectEnvelope(envelope, { now: io.now(), maxAge, maxSkew })
    } catch (error) {
      throw explain(error, () => 'expected a JWE compact serialization: five base64url parts separated by dots')
    }
    io.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : render(result))
  },
}

/** The inspection itself, pure: `now` in ms, window in seconds. Throws core's `malformed_envelope`/`payload_too_large`. */
export function inspectEnvelope(envelope: string, options: { now: number; maxAge: number; maxSkew: number }): Inspection {
  const header = decodeProtectedHeader(envelope)
  const split = envelope.split('.')
  const part = (i: number) => ({ chars: split[i]!.length, bytes: Buffer.from(split[i]!, 'base64url').length })
  const parts = { protected: part(0), encryptedKey: part(1), iv: part(2), ciphertext: part(3), tag: part(4) }
  const kind = header.typ === REQUEST_TYP ? 'request' : header.typ === RESPONSE_TYP ? 'response' : 'unknown'
  const findings: Finding[] = []

  if (kind === 'unknown') {
    findings.push({ code: 'malformed_envelope', message: `typ ${JSON.stringify(header.typ)} is neither ${REQUEST_TYP} nor ${RESPONSE_TYP}` })
  }
  // Same precedence as the server: a foreign algorithm is named as such before the schema speaks.
  const alg = kind === 'response' ? RESPONSE_KEY_MANAGEMENT_ALG : KEY_MANAGEMENT_ALG
  const failCode = kind === 'response' ? 'response_decryption_failed' : 'unsupported_algorithm'
  if (header.alg !== alg || header.enc !== CONTENT_ENCRYPTION_ALG) {
    findings.push({ code: failCode, message: `alg/enc is ${String(header.alg)}/${String(header.enc)}; only ${alg}/${CONTENT_ENCRYPTION_ALG} is accepted` })
  }
  for (const member of ['zip', 'crit'] as const) {
    if (member in header) findings.push({ code: failCode, message: `"${member}" is not allowed` })
  }
  if (kind !== 'unknown') {
    const parsed = (kind === 'request' ? requestHeaderSchema : responseHeaderSchema).safeParse(header)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        findings.push({ code: kind === 'request' ? 'malformed_envelope' : 'response_decryption_failed', message: `${issue.path.join('.') || 'header'}: ${issue.message}` })
      }
    }
  }
  // Direct key agreement (ECDH-ES, RFC 7518 §4.6) and dir (§4.5) leave the encrypted key empty;
  // A256GCM uses a 96-bit IV and a 128-bit tag (§5.3). Anything else fails decryption.
  const decryptCode = kind === 'response' ? 'response_decryption_failed' : 'decryption_failed'
  if (parts.encryptedKey.bytes !== 0) findings.push({ code: decryptCode, message: `the encrypted key must be empty for ${alg}, it has ${parts.encryptedKey.bytes} bytes` })
  if (parts.iv.bytes !== GCM_IV_BYTES) findings.push({ code: decryptCode, message: `the IV must be ${GCM_IV_BYTES} bytes, it has ${parts.iv.bytes}` })
  if (parts.tag.bytes !== GCM_TAG_BYTES) findings.push({ code: decryptCode, message: `the tag must be ${GCM_TAG_BYTES} bytes, it has ${parts.tag.bytes}` })

  let iat: Inspection['iat']
  if (typeof header.iat === 'number' && Number.isSafeInteger(header.iat) && header.iat >= 0) {
    const ageSeconds = Math.floor(options.now / 1000) - header.iat
    const fresh = header.iat * 1000 >= options.now - options.maxAge * 1000 && header.iat * 1000 <= options.now + options.maxSkew * 1000
    iat = { value: header.iat, time: isoSeconds(header.iat), ageSeconds, maxAgeSeconds: options.maxAge, maxSkewSeconds: options.maxSkew, fresh }
    if (!fresh) {
      findings.push({
        code: 'stale_request',
        message:
          ageSeconds > 0
            ? `iat is ${formatDuration(ageSeconds)} old, older than the ${options.maxAge} s window: seal it again`
            : `iat is ${formatDuration(ageSeconds)} ahead of this clock, beyond the ${options.maxSkew} s skew allowed: check the sealing machine's clock`,
      })
    }
  }
  return { kind, header, parts, iat, findings }
}

function render(r: Inspection): string {
  const h = r.header
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '(missing)' : JSON.stringify(v))
  const lines: string[] = []
  const title = r.kind === 'unknown' ? `not a Sealwire envelope (typ ${str(h.typ)})` : `sealwire ${r.kind} envelope (${str(h.typ)}), not decrypted`
  lines.push(title)
  const rows: Array<[string, string]> = []
  if (r.kind !== 'response') {
    rows.push(['kid', str(h.kid)])
  }
  rows.push(['alg / enc', `${str(h.alg)} / ${str(h.enc)}`])
  if (r.kind !== 'response') {
    const epk = h.epk as { crv?: unknown; kty?: unknown } | undefined
    rows.push(['epk', epk === undefined ? '(missing)' : `${str(epk.crv)} (${str(epk.kty)}), ephemeral: a fresh key per request`])
  }
  if (r.iat !== undefined) {
    const window = r.iat.fresh ? `within the ${r.iat.maxAgeSeconds} s / ${r.iat.maxSkewSeconds} s window` : `OUTSIDE the ${r.iat.maxAgeSeconds} s / ${r.iat.maxSkewSeconds} s window`
    rows.push(['iat', `${r.iat.value} = ${r.iat.time}, ${formatAge(r.iat.ageSeconds)} (${window})`])
  } else if (r.kind === 'request') {
    rows.push(['iat', str(h.iat)])
  }
  const jtiBytes = typeof h.jti === 'string' ? ` (${Buffer.from(h.jti, 'base64url').length} bytes)` : ''
  rows.push(['jti', `${str(h.jti)}${jtiBytes}`])
  if (r.kind === 'request' || 'htm' in h || 'htu' in h) rows.push(['htm htu', `${str(h.htm)} ${str(h.htu)}`])
  if (r.kind === 'response' || 'sts' in h) rows.push(['sts', str(h.sts)])
  if (r.kind === 'response' || 'cty' in h) rows.push(['cty', str(h.cty)])
  const known = new Set(['alg', 'enc', 'typ', 'kid', 'epk', 'iat', 'jti', 'htm', 'htu', 'sts', 'cty'])
  const others = Object.keys(h).filter((k) => !known.has(k))
  if (others.length > 0) rows.push(['other', others.join(', ')])
  lines.push(table(rows, '  '))

  const p = r.parts
  const plaintext =
    r.kind === 'request'
      ? `= plaintext: rk + a body of ${formatBytes(Math.max(0, p.ciphertext.bytes - REQUEST_PLAINTEXT_OVERHEAD))}`
      : r.kind === 'response'
        ? '= plaintext size'
        : ''
  lines.push('parts')
  lines.push(
    table(
      [
        ['protected header', `${p.protected.chars} chars (${formatBytes(p.protected.bytes)} of JSON)`],
        ['encrypted key', formatBytes(p.encryptedKey.bytes)],
        ['iv', formatBytes(p.iv.bytes)],
        ['ciphertext', `${formatBytes(p.ciphertext.bytes)} ${plaintext}`.trimEnd()],
        ['tag', formatBytes(p.tag.bytes)],
      ],
      '  ',
    ),
  )
  lines.push(r.kind === 'response' ? 'checks a client makes on the header' : 'checks a server makes before decrypting')
  if (r.findings.length === 0) {
    lines.push(r.kind === 'request' ? '  all pass (kid, decryption, binding and replay need the server)' : '  all pass (the jti binding and decryption need the reply context: sealwire open --reply)')
  } else {
    for (const f of r.findings) lines.push(`  ! ${f.code}: ${f.message}`)
  }
  return `${lines.join('\n')}\n`
}
