/**
 * Interoperability with two independent JOSE libraries, end to end over real
 * HTTPS on loopback: python-jwcrypto (Debian's python3-jwcrypto, run with the
 * system interpreter) and node-jose seal requests the way their users would —
 * `typ` spelled as the full media type `application/sealwire-req+jwe` (RFC 7515
 * §4.1.9), an `epk` carrying the extra public members some libraries send
 * (`use`, `alg`, `kid`, `key_ops`; RFC 7518 §4.6.1.1) — and the Express adapter
 * must accept them; jwcrypto then opens the sealed response with the `rk`.
 */
import { KeyRing, generateKeyPair, openResponse, type Curve, type PublicJwk } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { base64url } from 'jose'
import nodeJose from 'node-jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expressHarness } from '../server/harness/express.js'
import type { RunningApp } from '../server/harness/spec.js'
import { rawRequest } from '../server/helpers/http.js'
import { testCertificate } from '../server/helpers/tls.js'
import { requestPlaintextJson } from '../helpers/vectors.js'
import { jwcrypto as python, jwcryptoAvailable } from './jwcrypto.js'

const EPK_EXTRAS = { use: 'enc', alg: 'ECDH-ES', kid: 'ephemeral-7', key_ops: [] }
const TYP = 'application/sealwire-req+jwe'

let app: RunningApp
let ca: string
const publicJwks = {} as Record<Curve, PublicJwk>

beforeAll(async () => {
  const p256 = await generateKeyPair('P-256')
  const x25519 = await generateKeyPair('X25519')
  publicJwks['P-256'] = p256.publicJwk
  publicJwks.X25519 = x25519.publicJwk
  ca = (await testCertificate()).cert
  app = await expressHarness.start(createSealwireServer({ keys: await KeyRing.from([p256.privateJwk, x25519.privateJwk]) }))
})
afterAll(async () => {
  await app.close()
})

/** The v1 header members a request needs, besides alg/enc/epk which the library writes. */
const claims = (kid: string, target: string) => ({
  typ: TYP,
  kid,
  iat: Math.floor(Date.now() / 1000),
  jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
  htm: 'POST',
  htu: target,
})

const post = (target: string, envelope: string) =>
  rawRequest(`${app.secureUrl}${target}`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: envelope, ca })

describe.skipIf(!jwcryptoAvailable())('python-jwcrypto', () => {
  for (const curve of ['P-256', 'X25519'] as const) {
    it(`seals a request the server opens (${curve}, full-media-type typ, epk with use/alg/kid/key_ops), and opens the sealed answer`, async () => {
      const rk = crypto.getRandomValues(new Uint8Array(32))
      const header = { alg: 'ECDH-ES', enc: 'A256GCM', ...claims(publicJwks[curve].kid, '/echo') }
      const envelope = python({ jwk: publicJwks[curve], header, plaintext: requestPlaintextJson({ from: 'jwcrypto' }, rk), epkExtras: EPK_EXTRAS })
      const sent = JSON.parse(Buffer.from(envelope.split('.')[0]!, 'base64url').toString('utf8')) as { typ: string; epk: Record<string, unknown> }
      expect(sent.typ).toBe(TYP)
      expect(sent.epk).toMatchObject(EPK_EXTRAS)

      const res = await post('/echo', envelope)
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toBe('application/jose')
      // Core opens it …
      const opened = await openResponse(res.body, { reply: { jti: header.jti, rk }, status: res.status })
      expect(JSON.parse(new TextDecoder().decode(opened.body))).toMatchObject({ echo: { from: 'jwcrypto' }, claims: { crv: curve, htm: 'POST' } })
      // … and so does jwcrypto: Sealwire's responses are plain dir + A256GCM JWEs.
      const theirs = JSON.parse(python({ open: res.body, rk: base64url.encode(rk) })) as { header: Record<string, unknown>; plaintext: string }
      expect(theirs.header).toMatchObject({ alg: 'dir', enc: 'A256GCM', typ: 'sealwire-res+jwe', jti: header.jti, sts: 200 })
      expect(JSON.parse(theirs.plaintext)).toMatchObject({ echo: { from: 'jwcrypto' } })
    })
  }
})

describe('node-jose', () => {
  it('seals a P-256 request with typ application/sealwire-req+jwe that the server opens', async () => {
    const rk = crypto.getRandomValues(new Uint8Array(32))
    const key = await nodeJose.JWK.asKey(publicJwks['P-256'])
    const fields = { alg: 'ECDH-ES', enc: 'A256GCM', ...claims(publicJwks['P-256'].kid, '/echo?lib=node-jose') }
    const envelope = await nodeJose.JWE.createEncrypt({ format: 'compact', fields }, key).update(requestPlaintextJson({ from: 'node-jose' }, rk)).final()
    expect(JSON.parse(Buffer.from(envelope.split('.')[0]!, 'base64url').toString('utf8'))).toMatchObject({ typ: TYP, alg: 'ECDH-ES' })
    const res = await post('/echo?lib=node-jose', envelope)
    expect(res.status).toBe(200)
    const opened = await openResponse(res.body, { reply: { jti: fields.jti, rk }, status: res.status })
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toMatchObject({ echo: { from: 'node-jose' }, claims: { crv: 'P-256', htu: '/echo?lib=node-jose' } })
  })
})
