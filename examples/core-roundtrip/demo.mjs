// One whole Sealwire exchange in one process, with @sealwire/core only:
// the client seals a request, the server opens it and seals its answer, the
// client opens that. No HTTP: just the protocol, step by step.
import {
  KeyRing,
  MemoryReplayStore,
  decodeProtectedHeader,
  generateKeyPair,
  importRecipientKey,
  openRequest,
  openResponse,
  sealRequest,
  sealResponse,
  SealwireError,
} from '@sealwire/core'

const short = (s, n = 48) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s)
const step = (n, title) => console.log(`\n${n}. ${title}`)

step(1, 'Server: generate an X25519 key pair and publish the public key')
const { privateJwk, publicJwk } = await generateKeyPair('X25519')
const keyRing = await KeyRing.from([privateJwk])
const replayStore = new MemoryReplayStore()
console.log('   public JWK Set:', JSON.stringify(keyRing.publicJwks()))

step(2, 'Client: seal a POST /api/transfer body to that key')
const recipient = await importRecipientKey(publicJwk)
const request = { method: 'POST', target: '/api/transfer' }
const body = { to: 'alice', amount: 42 }
const sealed = await sealRequest({ recipient, request, body })
console.log('   plaintext body :', JSON.stringify(body))
console.log('   envelope       :', short(sealed.envelope, 72))
const { epk: _epk, ...header } = decodeProtectedHeader(sealed.envelope)
console.log('   protected header (readable by anyone, authenticated):', JSON.stringify(header))

step(3, 'Server: open the envelope (checks header, key, freshness, decrypts, binding, replay)')
const opened = await openRequest(sealed.envelope, { keyRing, replayStore, request })
console.log('   decrypted body :', JSON.stringify(opened.body))
console.log('   claims         :', JSON.stringify(opened.claims))

step(4, 'Server: seal the response to the key the client sent inside the request')
const responseJson = JSON.stringify({ ok: true, received: opened.body })
const responseJwe = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: responseJson })
console.log('   response envelope:', short(responseJwe, 72))

step(5, 'Client: open the response and check it is bound to this request')
const response = await openResponse(responseJwe, { reply: sealed.reply, status: 200 })
console.log(`   status ${response.status}, ${response.contentType}:`, new TextDecoder().decode(response.body))

step(6, 'Attacker: replay the captured envelope')
try {
  await openRequest(sealed.envelope, { keyRing, replayStore, request })
  console.error('   ACCEPTED — this must not happen')
  process.exit(1)
} catch (err) {
  if (!(err instanceof SealwireError)) throw err
  console.log(`   refused: ${err.code} (${err.status}) — ${err.message}`)
}

step(7, 'Attacker: paste the envelope onto another endpoint')
const again = await sealRequest({ recipient, request, body })
try {
  await openRequest(again.envelope, { keyRing, replayStore, request: { method: 'POST', target: '/api/admin' } })
  console.error('   ACCEPTED — this must not happen')
  process.exit(1)
} catch (err) {
  if (!(err instanceof SealwireError)) throw err
  console.log(`   refused: ${err.code} (${err.status}) — ${err.message}`)
}

console.log('\nDone: one request sealed end to end, a replay and a cut-and-paste refused.')
