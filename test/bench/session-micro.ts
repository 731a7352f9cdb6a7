/**
 * Sessions (docs/PROTOCOL.md §11) against v1, per request, for protocol.bench.ts:
 * the client's seal + open on the default backend and on the pure-JS fallback
 * (noble), and the server's open. A session made once, as the protocol makes it.
 * Portable: run.ts also runs it in Chromium (browser/session-page.ts).
 */
import { KeyRing, MemorySessionStore, acceptSession, defaultBackend, establishSession, generateKeyPair, importRecipientKey, offerSession, openRequest, openResponse, sealRequest, sealResponse, type CryptoBackend, type ReplayStore } from '@sealwire/core'
import { nobleBackend } from '@sealwire/client/noble'

const alwaysFresh: ReplayStore = { checkAndSet: async () => true }
const request = { method: 'POST', target: '/api/transfer', origin: 'https://api.example.com' }
const body = { to: 'alice', amount: 42, memo: 'x'.repeat(1024 - 40) }

/** One client per backend, each with its session, and the server side of them. */
export async function prepareSessions(curve: 'X25519' | 'P-256') {
  const { privateJwk, publicJwk } = await generateKeyPair(curve)
  const keyRing = await KeyRing.from([privateJwk])
  const first = await sealRequest({ recipient: await importRecipientKey(publicJwk), request, body })
  const iat = (await openRequest(first.envelope, { keyRing, request, replayStore: alwaysFresh })).claims.iat
  const clock = () => iat * 1000
  const sessionStore = new MemorySessionStore({ clock })

  async function client(backend: CryptoBackend) {
    const recipient = await importRecipientKey(publicJwk, backend)
    const offer = (await offerSession(recipient))!
    const offered = await sealRequest({ recipient, request, body, offer, clock })
    const opened = await openRequest(offered.envelope, { keyRing, request, replayStore: alwaysFresh, clock, sessionStore })
    const ses = await establishSession({ backend: keyRing.backend, store: sessionStore, kid: opened.claims.kid, crv: curve, jti: opened.claims.jti, origin: opened.claims.hto!, cpk: opened.sessionOffer!.cpk, exp: iat + 3600 })
    const session = (await acceptSession(offer, ses, { jti: offered.reply.jti, origin: request.origin, nowSeconds: iat }))!
    // An answer to open per request: the same size as the request's body.
    const response = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: JSON.stringify(body) })
    return { recipient, session, response, reply: offered.reply }
  }

  const clients = { default: await client(defaultBackend), noble: await client(nobleBackend) }
  const v1Envelope = first.envelope
  const sessionEnvelope = (await sealRequest({ recipient: clients.default.recipient, request, body, session: clients.default.session, clock })).envelope
  return {
    /** A request sealed within the default client's session, as the server's open takes it. */
    sessionEnvelope,
    /** Client: seal a request and open an answer, v1 (a key agreement) or within the session. */
    clientRequest: (backend: 'default' | 'noble', within: boolean) => {
      const c = clients[backend]
      return async () => {
        await sealRequest({ recipient: c.recipient, request, body, clock, ...(within ? { session: c.session } : {}) })
        await openResponse(c.response, { reply: c.reply, status: 200, backend: c.recipient.backend })
      }
    },
    /** Server: open a request, v1 or within the session (the store lookup included). */
    serverOpen: (within: boolean) => async () => {
      await openRequest(within ? sessionEnvelope : v1Envelope, { keyRing, request, replayStore: alwaysFresh, clock: () => iat * 1000, sessionStore })
    },
  }
}
