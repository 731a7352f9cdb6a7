// `pnpm demo`: one encrypted session with the reference app, step by step.
// Starts examples/express (dist/main.js) as a child process on a free port,
// then plays a client against it with @sealwire/client: key discovery, a
// sealed POST and GET, a bearer token and a query sealed inside the envelope,
// a transfer, then the attacks Sealwire stops — a replay, a tampered envelope —
// and a schema violation; then a sealed event stream read record by record as
// it arrives; then a forward-secret session (the server runs with SESSIONS=1):
// one key agreement, then requests without. Exits 0 only if every step behaved
// as expected.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, isSealwireError, type SealwireClient } from '@sealwire/client'
import {
  bold,
  cyan,
  describeRequestHeader,
  describeResponseHeader,
  difference,
  dim,
  green,
  json,
  jweParts,
  line,
  protectedHeader,
  red,
  short,
} from './demo-print.js'
import { DEMO_AUTHORIZATION } from './demo-token.js'
import type { ListeningMessage } from './main.js'
import { pinnedFetch, type PinnedFetch } from './pinned-fetch.js'
import { createWire, type Exchange, type Wire } from './wire.js'

const failures: string[] = []
let stepNo = 0

function step(title: string, note?: string): void {
  console.log(`\n${bold(`${++stepNo}. ${title}`)}`)
  if (note !== undefined) console.log(`   ${dim(note)}`)
}

function check(ok: boolean, what: string): void {
  if (ok) console.log(`   ${green('✔')} ${what}`)
  else {
    console.log(`   ${red('✘')} ${what}: NOT as expected`)
    failures.push(`step ${stepNo}: ${what}`)
  }
}

/** What crossed the wire for one request: the request line, where the envelope rode, the envelope. */
function showRequest(exchange: Exchange, plaintext: unknown): void {
  const { request } = exchange
  const url = new URL(request.url)
  line('plaintext', plaintext === undefined ? dim('(no body)') : json(plaintext))
  const headerEnvelope = request.headers.get('sealwire-envelope')
  const envelope = request.body ?? headerEnvelope ?? ''
  const where = request.body !== null ? `body, Content-Type: ${request.headers.get('content-type')}` : 'header Sealwire-Envelope (a GET has no body)'
  line('on the wire', `${request.method} ${url.pathname}${url.search} — envelope in the ${where}`)
  line('', short(envelope, 56, 16))
  line('', jweParts(envelope))
  line('header', describeRequestHeader(protectedHeader(envelope)))
}

/**
 * Which of `secrets` a hop could read in this exchange: on the request line,
 * in any request header (the envelope's readable protected header included),
 * in the request body, or in what came back. Each is looked for as written
 * and percent-encoded, the two ways a URL or a form would carry it.
 */
function readableOnTheWire(exchange: Exchange, secrets: readonly string[]): string[] {
  const { request } = exchange
  const seen = [request.method, request.url, request.body ?? '', ...exchange.responses.map((r) => r.body)]
  request.headers.forEach((value, name) => seen.push(`${name}: ${value}`))
  const envelope = request.body ?? request.headers.get('sealwire-envelope') ?? ''
  if (envelope !== '') seen.push(JSON.stringify(protectedHeader(envelope)))
  const wire = seen.join('\n')
  return secrets.filter((secret) => wire.includes(secret) || wire.includes(encodeURIComponent(secret)))
}

function showResponse(exchange: Exchange, index = 0): void {
  const seen = exchange.responses[index]!
  line('came back', `${seen.status} ${seen.contentType} — ${seen.contentType === 'application/jose' ? short(seen.body.trim(), 40, 12) : seen.body.trim()}`)
  if (seen.contentType === 'application/jose') line('', describeResponseHeader(protectedHeader(seen.body.trim())))
}

async function decrypted(res: Response): Promise<unknown> {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Starts dist/main.js with PORT=0 and waits for its `listening` message (URL and certificate). */
async function startServer(certDir: string): Promise<{ child: ChildProcess; info: ListeningMessage; log: string[] }> {
  const log: string[] = []
  const child = fork(fileURLToPath(new URL('./main.js', import.meta.url)), [], {
    // SESSIONS=1: the server offers sessions; the first client opts out (sessions: false), so steps 2–8 show v1.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SESSIONS: '1', SEALWIRE_CERT_FILE: join(certDir, 'tls-cert.pem') },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const collect = (chunk: Buffer) => log.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''))
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const info = await new Promise<ListeningMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000)
    child.on('message', (message: ListeningMessage) => {
      if (message?.type !== 'listening') return
      clearTimeout(timer)
      resolve(message)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited with code ${code} before listening:\n${log.join('\n')}`))
    })
  })
  return { child, info, log }
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

async function session(url: string, fetch: PinnedFetch, api: SealwireClient, wire: Wire): Promise<void> {
  step('Key discovery', `GET /.well-known/sealwire/jwks.json — the server's public keys, fetched over TLS`)
  const jwksRes = await fetch(`${url}/.well-known/sealwire/jwks.json`)
  const jwks = (await jwksRes.json()) as { keys: Array<{ kty: string; crv: string; kid: string }> }
  line('came back', `${jwksRes.status} ${jwksRes.headers.get('content-type')} over ${fetch.lastProtocol}, Cache-Control: ${jwksRes.headers.get('cache-control')}`)
  for (const key of jwks.keys) line('', `${key.crv.padEnd(7)} kid ${key.kid}`)
  const curves = jwks.keys.map((k) => k.crv).sort()
  check(jwksRes.status === 200 && json(curves) === json(['P-256', 'X25519']), 'a P-256 and an X25519 key; the client will use X25519 and cache the set')

  const message = { message: 'hello, sealed world', card: '4111 1111 1111 1111' }
  step('Encrypted POST /api/echo', 'the body is sealed in this process; proxies and logs on the way see ciphertext only')
  const echo = await api.fetch('/api/echo', { method: 'POST', body: JSON.stringify(message) })
  showRequest(wire.last!, message)
  showResponse(wire.last!)
  const echoed = await decrypted(echo)
  line('decrypted', `${echo.status} ${echo.headers.get('content-type')} ${json(echoed)}`)
  check(echo.status === 200 && json(echoed) === json(message), 'the server decrypted the body and its sealed answer opened to the same JSON')

  step('Encrypted GET /api/ping', 'no body to seal: the envelope (still carrying a fresh response key) rides in a header')
  const ping = await api.fetch('/api/ping')
  showRequest(wire.last!, undefined)
  showResponse(wire.last!)
  const pong = await decrypted(ping)
  line('decrypted', `${ping.status} ${json(pong)}`)
  check(ping.status === 200 && json(pong) === json({ pong: true }), 'sealed GET answered, sealed answer opened')

  const term = 'acquisition of Initech, closing 2027-03'
  const token = DEMO_AUTHORIZATION.replace(/^Bearer /, '')
  step('Sealed head: GET /api/me and GET /api/search?q=…', 'the bearer token and the query travel inside the envelope: a hop sees the path, never them')
  const me = await api.fetch('/api/me', { headers: { authorization: DEMO_AUTHORIZATION } })
  const meWire = wire.last!
  line('sent', `GET /api/me with Authorization: ${DEMO_AUTHORIZATION}`)
  showRequest(meWire, undefined)
  showResponse(meWire)
  const user = await decrypted(me)
  line('decrypted', `${me.status} ${json(user)} — what the handler answered after reading Authorization`)
  const search = await api.fetch(`/api/search?q=${encodeURIComponent(term)}`)
  const searchWire = wire.last!
  line('sent', `GET /api/search?q=${encodeURIComponent(term)}`)
  showRequest(searchWire, undefined)
  showResponse(searchWire)
  const found = await decrypted(search)
  line('decrypted', `${search.status} ${json(found)} — the q the handler received`)
  check(me.status === 200 && json(user) === json({ user: 'demo' }) && search.status === 200 && json(found) === json({ q: term }), 'the handlers read the sealed Authorization and query')
  const leaked = [...readableOnTheWire(meWire, [token]), ...readableOnTheWire(searchWire, [term])]
  line('on the wire', leaked.length === 0 ? 'neither the token nor the search term, in any request line, header, envelope header or answer' : red(`readable: ${leaked.join(', ')}`))
  check(leaked.length === 0 && new URL(searchWire.request.url).search === '', 'the token and the query crossed the wire sealed: the request line carried the path only')

  const transfer = { to: 'alice', amount: 42 }
  step('Encrypted POST /api/transfer', 'the body is checked against the route’s zod schema after decryption')
  const ok = await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify(transfer) })
  showRequest(wire.last!, transfer)
  showResponse(wire.last!)
  const okBody = await decrypted(ok)
  line('decrypted', `${ok.status} ${json(okBody)}`)
  check(ok.status === 200 && json(okBody) === json({ ok: true }), 'transfer accepted')

  const second = { to: 'bob', amount: 10 }
  step('Replay', 'an attacker on the path records a transfer envelope and sends the exact same bytes again')
  wire.next('replay')
  const replayed = await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify(second) })
  const replay = wire.last!
  showRequest(replay, second)
  line('1st copy', `${replay.responses[0]!.status} ${replay.responses[0]!.contentType} — delivered once, as sent`)
  line('2nd copy', `${replay.responses[1]!.status} ${replay.responses[1]!.contentType} — sealed: the attacker cannot read even the refusal`)
  line('', describeResponseHeader(protectedHeader(replay.responses[1]!.body.trim())))
  const replayProblem = (await decrypted(replayed)) as { code?: string; title?: string }
  line('sender sees', `${replayed.status} ${replayed.headers.get('content-type')} ${json(replayProblem)}`)
  check(replay.responses[0]!.status === 200 && replayed.status === 409 && replayProblem.code === 'replayed_request', 'the copy was refused: 409 replayed_request (its jti was already used)')

  const third = { to: 'carol', amount: 5 }
  step('Tampered envelope', 'an attacker flips one bit of one ciphertext byte on the way')
  wire.next('tamper')
  let refusal: { code: string; status: number } | undefined
  try {
    await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify(third) })
  } catch (err) {
    if (!isSealwireError(err)) throw err
    refusal = { code: err.code, status: err.status }
  }
  const tamper = wire.last!
  showRequest(tamper, third)
  const t = tamper.tampered!
  const diff = difference(tamper.request.body!.split('.')[3]!, t.request.body!.split('.')[3]!)
  line('altered', `ciphertext byte ${t.byte}: 0x${t.from.toString(16).padStart(2, '0')} → 0x${t.to.toString(16).padStart(2, '0')}, everything else untouched`)
  line('', `${diff.before} → ${diff.after}`)
  showResponse(tamper)
  line('client', refusal === undefined ? red('no error raised') : `SealwireError ${refusal.code} (${refusal.status})`)
  check(
    tamper.responses[0]!.status === 400 && refusal?.code === 'decryption_failed',
    'refused before decryption: 400 decryption_failed, in plain problem+json (no response key to seal it with)',
  )

  const bad = { to: '', amount: -5 }
  step('Schema violation', 'a sealed, authentic request whose body breaks the route’s schema')
  const invalid = await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify(bad) })
  showRequest(wire.last!, bad)
  showResponse(wire.last!)
  const problem = (await decrypted(invalid)) as { code?: string; issues?: Array<{ path: unknown[]; message: string }> }
  line('decrypted', `${invalid.status} ${invalid.headers.get('content-type')} ${json(problem)}`)
  check(
    invalid.status === 422 && problem.code === 'invalid_payload' && (problem.issues?.length ?? 0) === 2,
    'refused: 422 invalid_payload, sealed; the issues name paths, never the values',
  )

  step('Plain JSON to a protected route', 'what a client without Sealwire gets: nothing reaches the handler')
  const plain = await fetch(`${url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json(message) })
  const plainBody = await plain.text()
  line('sent', `POST /api/echo Content-Type: application/json ${json(message)}`)
  line('came back', `${plain.status} ${plain.headers.get('content-type')} ${plainBody.trim()}`)
  check(plain.status === 415 && (JSON.parse(plainBody) as { code?: string }).code === 'unsupported_media_type', 'refused: 415 unsupported_media_type')
}

/**
 * A `fetch` that watches a streamed answer cross the wire without holding it
 * back: every chunk is passed on as it arrives, and the records are cut out of
 * the bytes seen so far (PROTOCOL §12: the header line, then records of a
 * 4-byte length and the ciphertext with its tag), each stamped with its arrival.
 */
function tapStream(send: PinnedFetch, started: () => number) {
  const seen: { headerLine: string; records: Array<{ at: number; bytes: Uint8Array }>; contentType: string } = { headerLine: '', records: [], contentType: '' }
  const tap = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await send(input, init)
    seen.contentType = (response.headers.get('content-type') ?? '').split(';')[0]!
    if (response.body === null || seen.contentType !== 'application/sealwire-stream') return response
    let pending = new Uint8Array(0)
    const watch = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const joined = new Uint8Array(pending.length + chunk.length)
        joined.set(pending)
        joined.set(chunk, pending.length)
        pending = joined
        if (seen.headerLine === '') {
          const lf = pending.indexOf(0x0a)
          if (lf >= 0) {
            seen.headerLine = new TextDecoder().decode(pending.subarray(0, lf))
            pending = pending.slice(lf + 1)
          }
        }
        while (seen.headerLine !== '' && pending.length >= 4) {
          const length = new DataView(pending.buffer, pending.byteOffset).getUint32(0)
          if (pending.length < 4 + length) break
          seen.records.push({ at: started(), bytes: pending.slice(0, 4 + length) })
          pending = pending.slice(4 + length)
        }
        controller.enqueue(chunk)
      },
    })
    return new Response(response.body.pipeThrough(watch), { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  return { tap: tap as PinnedFetch, seen }
}

async function stream(url: string, fetch: PinnedFetch): Promise<void> {
  const n = 5
  const interval = 200
  step(`Sealed event stream: GET /api/events?n=${n}&interval=${interval}`, 'server-sent events, each sealed as its own record and flushed at once: read as they arrive, never after the whole answer')
  let t0 = 0
  const elapsed = () => Math.round(performance.now() - t0)
  const { tap, seen } = tapStream(fetch, elapsed)
  const api = createClient({ baseUrl: url, fetch: tap, sessions: false })
  const events: Array<{ at: number; data: string }> = []
  t0 = performance.now()
  for await (const event of api.events(`/api/events?n=${n}&interval=${interval}`)) events.push({ at: elapsed(), data: event.data })
  line('came back', `200 ${seen.contentType} — a header line, then records`)
  line('', `header line: ${short(seen.headerLine, 40, 12)}`)
  line('', describeResponseHeader(protectedHeader(seen.headerLine)))
  seen.records.forEach((r, i) => line(i === 0 ? 'records' : '', `+${String(r.at).padStart(4)} ms  ${String(r.bytes.length).padStart(3)} bytes  ${hex(r.bytes.subarray(4, 20))}…${i === seen.records.length - 1 ? '  (the final record)' : ''}`))
  events.forEach((e, i) => line(i === 0 ? 'decrypted' : '', `+${String(e.at).padStart(4)} ms  data: ${e.data}`))
  const wire = seen.headerLine + seen.records.map((r) => new TextDecoder().decode(r.bytes)).join('')
  const inOrder = json(events.map((e) => JSON.parse(e.data))) === json(Array.from({ length: n }, (_, i) => ({ i })))
  const live = events.length === n && events[n - 1]!.at - events[0]!.at >= (n - 2) * interval
  check(seen.contentType === 'application/sealwire-stream' && inOrder && live && !wire.includes('"i"'), `${n} events in order, each opened as its record arrived (the first ${events.length === n ? events[n - 1]!.at - events[0]!.at : '?'} ms before the last); the wire carried none in clear`)
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

async function sessions(api: SealwireClient, wire: Wire): Promise<void> {
  const first = { message: 'first of a session' }
  step('Session: one key agreement', 'a client with sessions on: its first request is plain v1 (an epk: a key agreement), offering a session')
  const opening = await api.fetch('/api/echo', { method: 'POST', body: JSON.stringify(first) })
  showRequest(wire.last!, first)
  showResponse(wire.last!)
  const sent = protectedHeader(wire.last!.request.body!)
  const answer = protectedHeader(wire.last!.responses[0]!.body.trim()) as { ses?: { sid?: string } }
  line('decrypted', `${opening.status} ${json(await decrypted(opening))}`)
  check(opening.status === 200 && sent.epk !== undefined && sent.ses === 1 && typeof answer.ses?.sid === 'string', 'an epk and ses 1 went out; the sealed answer announced a session (ses: sid, the server\'s ephemeral spk, exp)')

  step('Within the session: no key agreement', 'the next requests carry the session id instead of an epk, each under its own key derived from the session secret')
  const ping = await api.fetch('/api/ping')
  showRequest(wire.last!, undefined)
  const pingHeader = protectedHeader(wire.last!.request.headers.get('sealwire-envelope')!)
  const transfer = { to: 'dave', amount: 7 }
  const ok = await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify(transfer) })
  showRequest(wire.last!, transfer)
  showResponse(wire.last!)
  const transferHeader = protectedHeader(wire.last!.request.body!)
  line('decrypted', `${ping.status} ${json(await decrypted(ping))}, ${ok.status} ${json(await decrypted(ok))}`)
  const within = [pingHeader, transferHeader].every((h) => h.alg === 'dir' && h.sid === answer.ses?.sid && h.epk === undefined && h.kid === undefined)
  check(ping.status === 200 && ok.status === 200 && within, 'both sealed within the session: alg dir, its sid, no epk, no kid — a stolen server key opens neither once the session ends')
}

async function main(): Promise<number> {
  console.log(bold('Sealwire demo — an encrypted session with examples/express, step by step'))
  console.log(`\n${cyan('▶')} Starting examples/express on a free port…`)
  const certDir = await mkdtemp(join(tmpdir(), 'sealwire-demo-'))
  const { child, info, log } = await startServer(certDir)
  try {
    console.log(`  ${info.url} — HTTPS, self-signed certificate for this run`)
    console.log(`  the client pins it: it trusts this certificate and nothing else ${dim(`(SHA-256 ${info.fingerprint.slice(0, 23)}…)`)}`)
    const fetch = pinnedFetch(info.cert)
    const wire = createWire(fetch)
    const api = createClient({ baseUrl: info.url, fetch: wire.fetch, sessions: false })
    await session(info.url, fetch, api, wire)
    await stream(info.url, fetch)
    await sessions(createClient({ baseUrl: info.url, fetch: wire.fetch }), wire)
  } catch (err) {
    failures.push(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    console.log(`\n${red('✘')} the session stopped: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    await stopServer(child)
    await rm(certDir, { recursive: true, force: true })
  }

  console.log(`\n${bold('What the server logged')} ${dim('(method, path, status, media type; refusals by code — never a body or a key)')}`)
  for (const l of log.filter((l) => /^\s+(GET|POST|refused)\b/.test(l))) console.log(`  ${l.trim()}`)

  console.log(`\n${cyan('■')} Server stopped.`)
  if (failures.length === 0) {
    console.log(green(`All ${stepNo} steps behaved as expected: every payload sealed, the replay and the tampered envelope refused, an event stream read live, a session agreed once.`))
    return 0
  }
  console.log(red(`${failures.length} step(s) did not behave as expected:`))
  for (const f of failures) console.log(red(`  - ${f}`))
  return 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(red(`Demo failed: ${err instanceof Error ? err.message : String(err)}`))
    process.exit(1)
  },
)
