import { CURVES, importRecipientKey, sealRequest, type PublicJwk } from '@sealwire/core'
import { parseArgs, parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { curlCommand } from '../curl.js'
import { CliError, UsageError } from '../errors.js'
import { assertJwksTransport, fetchJwks, jwksUrl } from '../fetch-jwks.js'
import { MAX_SMALL_FILE_BYTES, readStdin, readTextFile } from '../inputs.js'
import type { CliIo } from '../io.js'
import { importPublicKeys, parseKeySet } from '../key-set.js'
import { serializeReply } from '../reply-file.js'
import { writeSecretFile } from '../secret-file.js'
import { parseCurve } from './keys-generate.js'

export const seal: Command = {
  path: ['seal'],
  summary: "seal a request to a server's key: print the envelope, or a curl command",
  help: `Usage: sealwire seal --jwks FILE|URL --target PATH [--method M] [--data JSON|@FILE|@-]
                     [--reply-out FILE] [--curl ORIGIN] [--kid KID | --curve CURVE]
                     [-k] [--insecure-http] [--json]

Seals a request exactly as a Sealwire client does (fresh jti, iat and response
key rk; bound to the method and target) so that you can send it with curl.
Prints the envelope; with --curl, a curl command line that sends it instead.

Options:
  --jwks FILE|URL    the server's JWK Set: a file (public or private set), or a
                     URL; https://host alone means the well-known path
                     https://host/.well-known/sealwire/jwks.json; plain
                     http:// only for a loopback host (localhost, 127.0.0.0/8,
                     [::1]) unless --insecure-http
  --target PATH      the origin-form target, path and query, exactly as it will
                     be sent (e.g. /api/echo?x=1): the envelope is bound to it
  --method M         the HTTP method (default: POST with --data, GET without)
  --data JSON        the body: JSON text, @FILE, or @- (or -) for stdin
                     (prefer @FILE or stdin for secrets: argv is visible to
                     other users of the machine in ps and /proc);
                     without --data the body is null, and GET, HEAD and DELETE
                     carry the envelope in the Sealwire-Envelope header
  --reply-out FILE   write the reply context (the request's jti and its secret
                     response key rk) to FILE, mode 0600, replacing it; needed
                     by 'sealwire open --reply FILE' to open the response
  --curl ORIGIN      print a curl command sending the request to ORIGIN+PATH
                     (ORIGIN like https://localhost:8443, without a path)
  --kid KID          seal to this key (default: the first X25519 key, as
                     clients prefer, else the first key); a kid that begins
                     with - is written --kid=KID
  --curve CURVE      seal to the first key of this curve (P-256 or X25519)
  -k, --insecure     accept a self-signed certificate when fetching --jwks,
                     and add -k to the curl command line
  --insecure-http    allow a plain http:// --jwks URL on a host other than
                     loopback (anyone on the path can swap the keys)
  --json             print {method, target, kid, crv, placement, headers,
                     envelope, curl?} as JSON
  -h, --help         show this help

The envelope is valid for the server's freshness window (60 s by default) and
only once: seal a new one for every send.

Example, against the reference server (self-signed certificate):
  sealwire seal -k --jwks https://localhost:8443 --target /api/echo \\
    --data '{"hello":"world"}' --reply-out reply.json \\
    --curl https://localhost:8443 > send.sh
  sh send.sh | sealwire open --reply reply.json
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      () =>
        parseArgs({
          args: argv,
          options: {
            jwks: { type: 'string' },
            target: { type: 'string' },
            method: { type: 'string' },
            data: { type: 'string' },
            'reply-out': { type: 'string' },
            curl: { type: 'string' },
            kid: { type: 'string' },
            curve: { type: 'string' },
            insecure: { type: 'boolean', short: 'k' },
            'insecure-http': { type: 'boolean' },
            json: { type: 'boolean' },
          },
          allowPositionals: true,
          strict: true,
        }),
      { max: 0, names: '' },
    )
    if (values.jwks === undefined) throw new UsageError('--jwks FILE|URL is required: the server key set to seal to')
    if (values.target === undefined) throw new UsageError('--target PATH is required: the path (and query) the request is sent to')
    if (!/^\/[^\s#]*$/.test(values.target)) throw new UsageError(`--target must be origin-form: a path starting with "/", plus query, got "${values.target}"`)
    if (values.kid !== undefined && values.curve !== undefined) throw new UsageError('pass --kid or --curve, not both')
    const method = (values.method ?? (values.data === undefined ? 'GET' : 'POST')).toUpperCase()
    if (!/^[A-Z]{1,16}$/.test(method)) throw new UsageError(`--method must be an HTTP method, got "${values.method}"`)
    const curve = values.curve === undefined ? undefined : parseCurve(values.curve)
    const origin = values.curl === undefined ? undefined : parseOrigin(values.curl)

    const body = values.data === undefined ? undefined : await readData(io, values.data)
    const jwk = pickKey(await loadPublicKeys(io, values.jwks, { insecure: values.insecure === true, insecureHttp: values['insecure-http'] === true }), { kid: values.kid, curve })
    const recipient = await importRecipientKey(jwk)
    const sealed = await sealRequest({ recipient, request: { method, target: values.target }, body, clock: io.now })

    if (values['reply-out'] !== undefined) {
      await writeSecretFile(io, values['reply-out'], serializeReply(sealed.reply, { method, target: values.target, kid: jwk.kid }), { overwrite: true })
    } else {
      io.stderr.write("note: without --reply-out FILE the response to this request cannot be opened\n")
    }
    const curl = origin === undefined ? undefined : curlCommand({ method, url: origin + values.target, placement: sealed.placement, envelope: sealed.envelope, insecure: values.insecure === true })
    if (values.json === true) {
      const out = { method, target: values.target, kid: jwk.kid, crv: jwk.crv, placement: sealed.placement, headers: sealed.headers, envelope: sealed.envelope, ...(curl === undefined ? {} : { curl }) }
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
    } else if (curl !== undefined) {
      io.stdout.write(`${curl}\n`)
    } else {
      if (sealed.placement === 'header') io.stderr.write(`note: ${method} carries no body: send the envelope in the request header "Sealwire-Envelope"\n`)
      io.stdout.write(`${sealed.envelope}\n`)
    }
  },
}

async function readData(io: CliIo, data: string): Promise<unknown> {
  const text = data === '-' || data === '@-' ? await readStdin(io) : data.startsWith('@') ? await readTextFile(io, data.slice(1)) : data
  try {
    return JSON.parse(text)
  } catch {
    const where = data === '-' || data === '@-' ? 'stdin' : data.startsWith('@') ? data.slice(1) : '--data'
    throw new UsageError(`${where} is not valid JSON (the body of a Sealwire request is a JSON value)`)
  }
}

async function loadPublicKeys(io: CliIo, source: string, transport: { insecure: boolean; insecureHttp: boolean }): Promise<PublicJwk[]> {
  if (/^https?:\/\//i.test(source)) {
    const url = jwksUrl(source)
    assertJwksTransport(url, transport.insecureHttp)
    return importPublicKeys(parseKeySet(await fetchJwks(url, { insecure: transport.insecure }), url.href), url.href)
  }
  return importPublicKeys(parseKeySet(await readTextFile(io, source, MAX_SMALL_FILE_BYTES), source), source)
}

/** Like a client: X25519 where available (docs/PROTOCOL.md §2), else the set's first key. */
function pickKey(keys: PublicJwk[], want: { kid: string | undefined; curve: (typeof CURVES)[number] | undefined }): PublicJwk {
  if (want.kid !== undefined) {
    const key = keys.find((k) => k.kid === want.kid)
    if (key === undefined) throw new CliError('unknown_key', `no key with kid ${want.kid} in the set`, { hint: `kids: ${keys.map((k) => k.kid).join(', ')}` })
    return key
  }
  if (want.curve !== undefined) {
    const key = keys.find((k) => k.crv === want.curve)
    if (key === undefined) throw new CliError('unknown_key', `no ${want.curve} key in the set`, { hint: `curves: ${keys.map((k) => k.crv).join(', ')}` })
    return key
  }
  return keys.find((k) => k.crv === 'X25519') ?? keys[0]!
}

function parseOrigin(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--curl must be a URL like https://localhost:8443, got "${value}"`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError('--curl must be an http or https URL')
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new UsageError('--curl takes the origin only (https://host:port); the path and query come from --target')
  }
  return url.origin
}
