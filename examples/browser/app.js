// A sealed money transfer, and a bearer token and a query sealed inside the
// envelope, in the browser, with @sealwire/client's browser bundle (served
// beside this page by examples/express). No framework: the client does the
// cryptography; this file records the wire and shows it.
import { createClient, isSealwireError } from '/sealwire-client.min.js'

const $ = (id) => document.getElementById(id)

// ---------------------------------------------------------------------------
// The wire: a fetch that stands for the network between this page and the
// server. The client sends every request through it (its `fetch` option), so
// it sees exactly what crossed — and, on demand, it plays the attacker.

const b64urlDecode = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
const b64urlEncode = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

/** Flips one bit of ciphertext byte `index` of a JWE (`header.key.iv.ciphertext.tag`, RFC 7516 §7.1). */
function flipCiphertextByte(jwe, index) {
  const parts = jwe.split('.')
  const ciphertext = b64urlDecode(parts[3])
  const byte = Math.min(index, ciphertext.length - 1)
  const from = ciphertext[byte]
  ciphertext[byte] = from ^ 0x01
  parts[3] = b64urlEncode(ciphertext)
  return { jwe: parts.join('.'), byte, from, to: ciphertext[byte] }
}

function createWire() {
  let mode = 'deliver'
  let last
  let jwks
  let onStreamBytes

  async function deliver(request) {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' })
    const type = (response.headers.get('content-type') ?? '').split(';')[0]
    if (type === 'application/sealwire-stream') {
      // A sealed stream: its bytes are shown as they pass, never waited for whole.
      const tap = onStreamBytes
      const body = response.body.pipeThrough(new TransformStream({ transform(chunk, controller) { tap?.(chunk); controller.enqueue(chunk) } }))
      return { response: new Response(body, { status: response.status, headers: response.headers }), seen: { status: response.status, type, body: '' } }
    }
    const seen = { status: response.status, type, body: await response.clone().text() }
    return { response, seen }
  }

  async function wireFetch(input, init) {
    const req = new Request(input, init)
    const request = { method: req.method, url: req.url, headers: new Headers(req.headers), body: req.body === null ? null : await req.text() }
    const sealed = request.body !== null || request.headers.has('sealwire-envelope')
    if (!sealed) {
      // The client's key discovery: passes untouched.
      const { response, seen } = await deliver(request)
      jwks = seen
      return response
    }
    const attack = mode
    mode = 'deliver' // an attack applies to one request
    last = { request, attack, responses: [] }

    if (attack === 'tamper' && request.body !== null) {
      const flipped = flipCiphertextByte(request.body, 7)
      last.tampered = flipped
      const { response, seen } = await deliver({ ...request, body: flipped.jwe })
      last.responses.push(seen)
      return response
    }
    const first = await deliver(request)
    last.responses.push(first.seen)
    if (attack !== 'replay') return first.response
    // The attacker resends the very same bytes, after the original arrived.
    const again = await deliver(request)
    last.responses.push(again.seen)
    return again.response
  }

  return {
    fetch: wireFetch,
    next: (m) => {
      mode = m
    },
    /** Hears every chunk of a sealed stream's body as it crosses. */
    set onStreamBytes(listener) {
      onStreamBytes = listener
    },
    get last() {
      return last
    },
    get jwks() {
      return jwks
    },
  }
}

// ---------------------------------------------------------------------------
// Showing it.

const wire = createWire()
const api = createClient({ baseUrl: location.origin, fetch: wire.fetch })

const el = (tag, className, text) => {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}
const shorten = (s, head, tail = 0) => (s.length <= head + tail + 1 ? s : `${s.slice(0, head)}…${tail > 0 ? s.slice(-tail) : ''}`)
const decodeHeader = (jwe) => JSON.parse(new TextDecoder().decode(b64urlDecode(jwe.split('.')[0])))
const pretty = (value) => JSON.stringify(value, null, 2)

/** The envelope, its five parts coloured, each shortened: what a proxy log would hold. */
function showEnvelope(jwe, flippedAt) {
  const target = $('wire')
  target.replaceChildren(...envelopeNodes(jwe, flippedAt))
  target.append(el('span', 'size', `  ${jwe.length} characters`))
}

function envelopeNodes(jwe, flippedAt) {
  const [h, k, iv, c, t] = jwe.split('.')
  return [
    el('span', 'seg-h', shorten(h, 40, 12)),
    '.',
    el('span', 'seg-k', k),
    '.',
    el('span', 'seg-iv', iv),
    '.',
    flippedAt === undefined ? el('span', 'seg-c', shorten(c, 64, 16)) : flippedCiphertext(c, flippedAt),
    '.',
    el('span', 'seg-t', t),
  ]
}

/** The ciphertext with the altered character marked. */
function flippedCiphertext(c, byte) {
  const at = Math.floor((byte * 8) / 6) // the base64url character that carries the flipped bit
  const span = el('span', 'seg-c')
  span.append(`${c.slice(0, Math.min(at, 24))}${at > 24 ? '…' : ''}${c.slice(Math.max(24, at - 6), at)}`, el('mark', '', c[at]), `${c.slice(at + 1, at + 20)}…${c.slice(-8)}`)
  return span
}

function showHeader(h) {
  const fields = [
    ['alg', `${h.alg} · ${h.enc}`],
    ['key', `${h.epk?.crv ?? '?'} · kid ${shorten(h.kid, 16)}`],
    ['bound to', `${h.htm} ${h.htu}`],
    ['iat', `${h.iat} (${new Date(h.iat * 1000).toLocaleTimeString()})`],
    ['jti', shorten(h.jti, 14)],
  ]
  $('header').replaceChildren(...fields.flatMap(([name, value]) => [el('dt', '', name), el('dd', '', value)]))
}

function showWire(exchange, plaintext) {
  const { request } = exchange
  $('plaintext').textContent = `${request.method} ${new URL(request.url).pathname}\n${pretty(plaintext)}`
  $('plaintext').classList.remove('muted')
  const sent = exchange.tampered?.jwe ?? request.body
  $('wire-line').textContent = `${request.method} ${new URL(request.url).pathname} · Content-Type: ${request.headers.get('content-type')}${exchange.tampered ? ' · one byte altered on the way' : ''}`
  $('wire-line').classList.remove('muted')
  showEnvelope(sent, exchange.tampered?.byte)
  showHeader(decodeHeader(request.body))
  const answers = exchange.responses.map((r, i) => {
    const label = exchange.responses.length > 1 ? (i === 0 ? 'original' : 'replayed copy') : 'answer'
    const body = r.type === 'application/jose' ? `sealed, ${r.body.trim().length} chars` : `plain: ${codeOf(r.body) ?? shorten(r.body.trim(), 40)}`
    return `${label} → ${r.status} ${r.type} (${body})`
  })
  $('wire-answer').textContent = answers.join('\n')
  $('wire-answer').classList.remove('muted')
}

function showOutcome(kind, status, text, body) {
  $('outcome').className = `outcome ${kind}`
  $('outcome-status').textContent = String(status)
  $('outcome-text').textContent = text
  $('answer').textContent = body === undefined ? '' : pretty(body)
}

function addHistory(kind, text) {
  const item = el('li', kind, text)
  $('history').prepend(item)
  while ($('history').children.length > 6) $('history').lastChild.remove()
}

function codeOf(text) {
  try {
    return JSON.parse(text).code
  } catch {
    return undefined
  }
}

async function readJson(res) {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function formValue() {
  const amount = $('amount').value.trim()
  return { to: $('to').value, amount: amount === '' ? null : Number(amount) }
}

const labels = { deliver: 'Transfer', replay: 'Replay', tamper: 'Tampered envelope' }

async function run(attack) {
  const body = formValue()
  const buttons = document.querySelectorAll('button')
  buttons.forEach((b) => (b.disabled = true))
  try {
    wire.next(attack)
    let res
    let refusal
    try {
      res = await api.fetch('/api/transfer', { method: 'POST', body: JSON.stringify(body) })
    } catch (err) {
      if (!isSealwireError(err)) throw err
      refusal = err // refused before decryption: a plain problem, no response key to seal it with
    }
    showWire(wire.last, body)
    if (refusal !== undefined) {
      // What arrived is a plain problem document: show it as received.
      let problem
      try {
        problem = JSON.parse(wire.last.responses[0].body)
      } catch {
        problem = { code: refusal.code, status: refusal.status }
      }
      const why =
        refusal.code === 'decryption_failed'
          ? 'the AES-GCM tag no longer matches, so nothing was decrypted. This refusal is plain: the server never got a response key to seal it with.'
          : 'the server refused the envelope before it could decrypt it.'
      showOutcome('refused', refusal.status, `Refused: ${refusal.code} — ${why}`, problem)
      addHistory('refused', `${labels[attack]} → ${refusal.status} ${refusal.code}`)
      return
    }
    const answer = await readJson(res)
    if (res.ok) {
      showOutcome('ok', res.status, 'Accepted. The answer was sealed to the one-time key your request carried.', answer)
      addHistory('ok', `${labels[attack]} ${body.amount} € to ${body.to} → ${res.status}`)
    } else {
      const code = answer?.code ?? `HTTP ${res.status}`
      const why = code === 'replayed_request' ? 'the server has already seen this envelope (its jti). Even this refusal is sealed: only you can read it.' : code === 'invalid_payload' ? 'the decrypted body breaks the route’s schema.' : (answer?.title ?? '')
      showOutcome('refused', res.status, `Refused: ${code} — ${why}`, answer)
      addHistory('refused', `${labels[attack]} → ${res.status} ${code}`)
    }
  } catch (err) {
    showOutcome('error', '!', `Failed: ${err?.code ?? err?.name ?? 'Error'} — ${err?.message ?? String(err)}`)
  } finally {
    buttons.forEach((b) => (b.disabled = false))
  }
}

// ---------------------------------------------------------------------------
// The sealed head: a bearer token and a query, carried inside the envelope.

/** The one token the reference app's GET /api/me accepts (a demo, not an authentication scheme). */
const DEMO_AUTHORIZATION = 'Bearer demo-token'

/** One request of the panel: the request line as it crossed, the envelope, the decrypted answer. */
function headExchange(route, exchange, status, answer) {
  const { request } = exchange
  const url = new URL(request.url)
  const envelope = request.headers.get('sealwire-envelope') ?? request.body
  const cipher = el('pre', 'code cipher')
  cipher.append(...envelopeNodes(envelope), el('span', 'size', `  ${envelope.length} characters`))
  const block = el('div', 'head-exchange')
  block.dataset.route = route
  block.append(
    el('p', 'wire-line', `${request.method} ${url.pathname}${url.search} · envelope in the Sealwire-Envelope header`),
    cipher,
    el('pre', 'code answer', `${status} ${pretty(answer)}`),
  )
  return block
}

async function sendSealedHead() {
  const buttons = document.querySelectorAll('button')
  buttons.forEach((b) => (b.disabled = true))
  $('sealed-head').dataset.state = 'sending'
  try {
    const me = await api.fetch('/api/me', { headers: { authorization: DEMO_AUTHORIZATION } })
    const meBlock = headExchange('me', wire.last, me.status, await readJson(me))
    const search = await api.fetch(`/api/search?q=${encodeURIComponent($('search-q').value)}`)
    const searchBlock = headExchange('search', wire.last, search.status, await readJson(search))
    $('head-exchanges').replaceChildren(meBlock, searchBlock)
    $('sealed-head').dataset.state = 'done'
  } catch (err) {
    $('head-exchanges').replaceChildren(el('p', 'wire-line', `Failed: ${err?.code ?? err?.name ?? 'Error'} — ${err?.message ?? String(err)}`))
    $('sealed-head').dataset.state = 'failed'
  } finally {
    buttons.forEach((b) => (b.disabled = false))
  }
}

// ---------------------------------------------------------------------------
// A sealed event stream: records on the wire beside the events they open to.

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * Splits a streamed body as it arrives (docs/PROTOCOL.md §12): the header line
 * (the answer's JWE, its `str` the stream salt), then records of a 4-byte
 * big-endian length and that many bytes of AES-GCM ciphertext and tag.
 */
function recordSplitter(onHeader, onRecord) {
  let buffered = new Uint8Array(0)
  let headerSeen = false
  return (chunk) => {
    const joined = new Uint8Array(buffered.length + chunk.length)
    joined.set(buffered)
    joined.set(chunk, buffered.length)
    buffered = joined
    if (!headerSeen) {
      const newline = buffered.indexOf(0x0a)
      if (newline === -1) return
      headerSeen = true
      onHeader(new TextDecoder().decode(buffered.subarray(0, newline)))
      buffered = buffered.subarray(newline + 1)
    }
    while (buffered.length >= 4) {
      const length = new DataView(buffered.buffer, buffered.byteOffset, 4).getUint32(0)
      if (buffered.length < 4 + length) return
      onRecord(buffered.subarray(4, 4 + length))
      buffered = buffered.subarray(4 + length)
    }
  }
}

async function streamEvents() {
  const buttons = document.querySelectorAll('button')
  buttons.forEach((b) => (b.disabled = true))
  const form = $('event-stream')
  form.dataset.state = 'streaming'
  $('events-wire').replaceChildren()
  $('events-clear').replaceChildren()
  let records = 0
  wire.onStreamBytes = recordSplitter(
    (jwe) => {
      const { str, sts, cty } = decodeHeader(jwe)
      $('events-wire').append(el('li', 'record header-line', `header line · JWE ${jwe.length} chars · sts ${sts} · cty ${cty} · str ${str}`))
    },
    (record) => {
      records += 1
      $('events-wire').append(el('li', 'record', `#${records - 1} · ${record.length} bytes · ${shorten(hex(record), 24, 6)}`))
    },
  )
  try {
    const n = $('events-n').value
    const interval = $('events-interval').value
    for await (const event of api.events(`/api/events?n=${encodeURIComponent(n)}&interval=${encodeURIComponent(interval)}`)) {
      $('events-clear').append(el('li', 'event', `data: ${event.data}`))
    }
    form.dataset.state = 'done'
  } catch (err) {
    $('events-clear').append(el('li', 'event failed', `Failed: ${err?.code ?? err?.name ?? 'Error'} — ${err?.message ?? String(err)}`))
    form.dataset.state = 'failed'
  } finally {
    wire.onStreamBytes = undefined
    buttons.forEach((b) => (b.disabled = false))
  }
}

$('event-stream').addEventListener('submit', (event) => {
  event.preventDefault()
  streamEvents()
})
$('sealed-head').addEventListener('submit', (event) => {
  event.preventDefault()
  sendSealedHead()
})
$('transfer').addEventListener('submit', (event) => {
  event.preventDefault()
  run('deliver')
})
$('replay').addEventListener('click', () => run('replay'))
$('tamper').addEventListener('click', () => run('tamper'))
document.body.dataset.ready = 'true'
