import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_SKEW_SECONDS,
  JOSE_MEDIA_TYPE,
  KeyRing,
  decodeProtectedHeader,
  openRequest,
  openResponse,
  type ReplayStore,
} from '@sealwire/core'
import { integerOption, parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { CliError, UsageError, explain } from '../errors.js'
import { formatAge, formatDuration, isoSeconds, table } from '../format.js'
import { envelopeOf, mediaType, parseResponseInput, type ResponseInput } from '../http-message.js'
import { MAX_SMALL_FILE_BYTES, readInputArg, readTextFile } from '../inputs.js'
import type { CliIo } from '../io.js'
import { importPrivateKeys, parseKeySet } from '../key-set.js'
import { readReplyFile } from '../reply-file.js'

export const open: Command = {
  path: ['open'],
  summary: 'open a sealed response (--reply FILE) or request (--keys FILE)',
  help: `Usage: sealwire open --reply FILE [--status N] [--json] [JWE|@FILE|-]
       sealwire open --keys FILE --method M --target PATH [--max-age S]
                     [--max-skew S] [--json] [JWE|@FILE|-]

A response: --reply FILE is the reply context 'sealwire seal --reply-out'
wrote. Opens the response with its key rk, checks it answers that request
(jti) and carries the HTTP status it was sealed with (sts), and prints the
status, the content type (cty) and the plaintext. The input may be the bare
envelope, or the whole output of 'curl -i': its status line is then the HTTP
status checked, and a plain problem+json refusal (a server answers failures
before decryption unsealed) is explained. Give --status N with a bare envelope
to check it against N; without it, sts is reported unchecked.

A request: --keys FILE is the server's private key set. Runs the server's
checks (header, kid, iat window, decryption, method/target binding) and prints
the claims and the body, for debugging a client. NO replay check: there is no
replay store here, so an envelope opens as often as you like; a server accepts
it once. The secret response key rk is never printed.

Reads the envelope from the argument, @FILE, or stdin (- or no argument).

Options:
  --reply FILE    open a response with this reply context
  --status N      the HTTP status the response came with (bare envelope only)
  --keys FILE     open a request with this private JWK Set
  --method M      the method the request was sent with
  --target PATH   the origin-form target it was sent to (path and query)
  --max-age S     accept an iat up to S seconds old (default ${DEFAULT_MAX_AGE_SECONDS}); raise it to
                  open an envelope captured earlier
  --max-skew S    accept an iat up to S seconds ahead (default ${DEFAULT_MAX_SKEW_SECONDS})
  --json          print the result as JSON
  -h, --help      show this help

Examples:
  sh send.sh | sealwire open --reply reply.json
  sealwire open --reply reply.json --status 200 @response.jwe
  sealwire open --keys server.jwks.json --method POST --target /api/echo @request.jwe
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      () =>
        parseArgs({
          args: argv,
          options: {
            reply: { type: 'string' },
            status: { type: 'string' },
            keys: { type: 'string' },
            method: { type: 'string' },
            target: { type: 'string' },
            'max-age': { type: 'string' },
            'max-skew': { type: 'string' },
            json: { type: 'boolean' },
          },
          allowPositionals: true,
          strict: true,
        }),
      { max: 1, names: 'one envelope' },
    )
    if ((values.reply === undefined) === (values.keys === undefined)) {
      throw new UsageError('pass --reply FILE to open a response, or --keys FILE to open a request')
    }
    if (values.reply !== undefined) {
      for (const name of ['method', 'target', 'max-age', 'max-skew'] as const) {
        if (values[name] !== undefined) throw new UsageError(`--${name} applies to opening a request (--keys), not a response`)
      }
      const status = integerOption(values.status, 'status', { min: 100, max: 599 })
      await openSealedResponse(io, { replyFile: values.reply, status, input: positionals[0], json: values.json === true })
      return
    }
    if (values.status !== undefined) throw new UsageError('--status applies to opening a response (--reply)')
    if (values.method === undefined || values.target === undefined) {
      throw new UsageError('--method and --target are required with --keys: the envelope is checked against them')
    }
    if (!/^[A-Za-z]{1,16}$/.test(values.method)) throw new UsageError(`--method must be an HTTP method, got "${values.method}"`)
    if (!/^\/[^\s#]*$/.test(values.target)) throw new UsageError(`--target must be origin-form: a path starting with "/", plus query, got "${values.target}"`)
    await openSealedRequest(io, {
      keysFile: values.keys!,
      method: values.method.toUpperCase(),
      target: values.target,
      maxAge: integerOption(values['max-age'], 'max-age', { min: 0, max: 10 ** 9 }) ?? DEFAULT_MAX_AGE_SECONDS,
      maxSkew: integerOption(values['max-skew'], 'max-skew', { min: 0, max: 10 ** 9 }) ?? DEFAULT_MAX_SKEW_SECONDS,
      input: positionals[0],
      json: values.json === true,
    })
  },
}

async function openSealedResponse(io: CliIo, o: { replyFile: string; status: number | undefined; input: string | undefined; json: boolean }): Promise<void> {
  const { reply, about } = await readReplyFile(io, o.replyFile)
  const response = parseResponseInput(await readInputArg(io, o.input, 'response', 'literal'))
  if (response.status !== undefined && o.status !== undefined && response.status !== o.status) {
    throw new UsageError(`--status ${o.status} contradicts the HTTP status line (${response.status}) of the input`)
  }
  refuseUnsealed(io, response)
  const envelope = response.body.replace(/^sealwire-envelope:\s*/i, '')
  // Without an HTTP status to hold it to, take the sealed one and say so: the
  // sts check is what stops a proxy turning a sealed 403 into a 200.
  let status = response.status ?? o.status
  if (status === undefined) {
    const sts = safeHeader(envelope).sts
    status = typeof sts === 'number' ? sts : 0
    io.stderr.write('note: no HTTP status given (--status N, or pipe curl -i output): the sealed status was not checked against one\n')
  }
  let opened
  try {
    opened = await openResponse(envelope, { reply, status })
  } catch (error) {
    throw explain(error, (code) =>
      code === 'response_decryption_failed'
        ? `is ${o.replyFile} the reply context of this request (${about.method} ${about.target})? Each response opens only with its own request's rk`
        : undefined,
    )
  }
  const body = decodeBody(opened.body, opened.contentType)
  if (o.json) {
    io.stdout.write(`${JSON.stringify({ status: opened.status, contentType: opened.contentType, request: { method: about.method, target: about.target, jti: reply.jti }, ...body.json }, null, 2)}\n`)
    return
  }
  io.stdout.write(`${table([['status', String(opened.status)], ['content-type', opened.contentType], ['request', `${about.method} ${about.target}`]])}\n\n${body.text}\n`)
}

/** A response that is not sealed: say what the server answered instead of failing to decrypt it. */
function refuseUnsealed(io: CliIo, response: ResponseInput): void {
  const type = mediaType(response.headers.get('content-type'))
  const sealed = type === undefined ? !response.body.startsWith('{') && response.body !== '' : type === JOSE_MEDIA_TYPE
  if (sealed) return
  const what = [response.status === undefined ? undefined : `HTTP ${response.status}`, type].filter(Boolean).join(' ')
  let problem: { code?: unknown; title?: unknown; detail?: unknown } | undefined
  try {
    problem = JSON.parse(response.body) as typeof problem
  } catch {
    problem = undefined
  }
  const code = typeof problem?.code === 'string' ? problem.code : undefined
  const said = code !== undefined ? `${code} (${String(problem?.detail ?? problem?.title ?? '')})` : response.body === '' ? 'an empty body' : 'a body that is not an envelope'
  throw new CliError('response_not_encrypted', `the response is not sealed${what === '' ? '' : ` (${what})`}: the server answered ${said}`, {
    ...(code === undefined ? {} : { hint: problemHint(io, code, response.headers.get('date')) }),
  })
}

function problemHint(io: CliIo, code: string, date: string | undefined): string | undefined {
  switch (code) {
    case 'stale_request': {
      const server = date === undefined ? Number.NaN : Date.parse(date)
      const offset = Number.isNaN(server) ? '' : ` (the server's Date header is ${formatDuration((server - io.now()) / 1000)} ${server >= io.now() ? 'ahead of' : 'behind'} this clock)`
      return `an envelope is accepted for ${DEFAULT_MAX_AGE_SECONDS} s after it is sealed${offset}: seal a new one right before sending`
    }
    case 'unknown_key':
      return "the server does not hold that key: seal again with its current JWK Set (--jwks URL)"
    case 'decryption_failed':
      return 'the envelope was altered, or sealed to a key the server holds under another kid'
    case 'unsupported_media_type':
      return 'send the envelope as the body with Content-Type: application/jose, or for GET/HEAD/DELETE in the Sealwire-Envelope header'
    case 'insecure_transport':
      return 'the server requires https'
    default:
      return undefined
  }
}

async function openSealedRequest(
  io: CliIo,
  o: { keysFile: string; method: string; target: string; maxAge: number; maxSkew: number; input: string | undefined; json: boolean },
): Promise<void> {
  const keys = await importPrivateKeys(parseKeySet(await readTextFile(io, o.keysFile, MAX_SMALL_FILE_BYTES), o.keysFile), o.keysFile)
  const keyRing = await KeyRing.from(keys)
  const envelope = envelopeOf(await readInputArg(io, o.input, 'envelope', 'literal'))
  // Deliberately no replay store: a debugging tool must open the same envelope
  // again and again. Without `rememberedSince` no iat is refused for predating it.
  const noReplayStore: ReplayStore = { checkAndSet: async () => true }
  let opened
  try {
    opened = await openRequest(envelope, { keyRing, replayStore: noReplayStore, request: { method: o.method, target: o.target }, maxAgeSeconds: o.maxAge, maxSkewSeconds: o.maxSkew, clock: io.now })
  } catch (error) {
    throw explain(error, (code) => requestHint(code, envelope, o, keyRing, io.now()))
  }
  io.stderr.write('note: no replay store here: a server accepts this envelope once, and refuses it after\n')
  const c = opened.claims
  if (o.json) {
    io.stdout.write(`${JSON.stringify({ claims: c, body: opened.body }, null, 2)}\n`)
    return
  }
  const rows: Array<[string, string]> = [
    ['request', `${c.htm} ${c.htu}`],
    ['kid', `${c.kid} (${c.crv})`],
    ['iat', `${c.iat} = ${isoSeconds(c.iat)}, ${formatAge(Math.floor(io.now() / 1000) - c.iat)}`],
    ['jti', c.jti],
  ]
  io.stdout.write(`${table(rows)}\n\n${JSON.stringify(opened.body, null, 2)}\n`)
}

function requestHint(code: string, envelope: string, o: { keysFile: string; method: string; target: string; maxAge: number; maxSkew: number }, keyRing: KeyRing, now: number): string | undefined {
  const h = safeHeader(envelope)
  switch (code) {
    case 'unknown_key':
      return `the envelope is for kid ${String(h.kid)}; ${o.keysFile} holds ${keyRing.publicJwks().keys.map((k) => k.kid).join(', ')}`
    case 'stale_request': {
      if (typeof h.iat !== 'number') return undefined
      const age = Math.floor(now / 1000) - h.iat
      return age > 0
        ? `iat is ${formatDuration(age)} old, the window ${o.maxAge} s: pass --max-age ${age + 60} to open it anyway`
        : `iat is ${formatDuration(age)} ahead of this clock, the skew allowed ${o.maxSkew} s: pass --max-skew ${-age + 5} to open it anyway`
    }
    case 'binding_mismatch':
      // Raised after decryption, so the header (the AAD) is authentic here.
      return `the envelope is bound to ${String(h.htm)} ${String(h.htu)}, not ${o.method} ${o.target}`
    case 'decryption_failed':
      return `the envelope was altered, or was not sealed to the key ${String(h.kid)} of ${o.keysFile}`
    default:
      return undefined
  }
}

function safeHeader(envelope: string): Record<string, unknown> {
  try {
    return decodeProtectedHeader(envelope)
  } catch {
    return {}
  }
}

/** The plaintext for people (pretty JSON, text) and for --json (parsed JSON, text, or base64 for bytes). */
function decodeBody(bytes: Uint8Array, contentType: string): { text: string; json: Record<string, unknown> } {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    const b64 = Buffer.from(bytes).toString('base64')
    return { text: `(${bytes.length} bytes, not UTF-8; base64:)\n${b64}`, json: { bodyBase64: b64 } }
  }
  if (/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    try {
      const value: unknown = JSON.parse(text)
      return { text: JSON.stringify(value, null, 2), json: { body: value } }
    } catch {
      // Labelled JSON but is not: show it as it is.
    }
  }
  return { text, json: { bodyText: text } }
}
