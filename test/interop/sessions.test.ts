/**
 * A request within a session (docs/PROTOCOL.md §11) is a plain `dir` +
 * A256GCM JWE under HKDF-SHA256(S, jti, "sealwire-session-request-v1"): two
 * independent JOSE libraries, given that key, seal requests the server opens —
 * jose's CompactEncrypt, and python-jwcrypto with the system interpreter.
 */
import { execFileSync } from 'node:child_process'
import { acceptSession, deriveSessionRequestKey, generateKeyPair, importRecipientKey, offerSession, openResponse, sealRequest, type PrivateJwk } from '@sealwire/core'
import { CompactEncrypt, base64url } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestPlaintextJson } from '../helpers/vectors.js'
import { startSessionServer, type SessionServer } from '../sessions/support.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = new URL('./jwcrypto-seal.py', import.meta.url).pathname
const jwcryptoAvailable = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import jwcrypto'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

const key: PrivateJwk = (await generateKeyPair('X25519')).privateJwk

describe('sessions: third-party JOSE libraries seal within a session', () => {
  let srv: SessionServer
  let sid: string
  let secret: Uint8Array
  beforeAll(async () => {
    srv = await startSessionServer({ keys: [key], sessions: {} })
    // Establishment with core's primitives, as a third party following §11 would do it.
    const recipient = await importRecipientKey(key)
    const offer = (await offerSession(recipient))!
    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/echo' }, body: 0, offer })
    const res = await fetch(`${srv.url}/api/echo`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody! })
    const answer = await openResponse(await res.text(), { reply: sealed.reply, status: res.status })
    const session = (await acceptSession(offer, answer.session, { jti: sealed.reply.jti, origin: '', nowSeconds: Math.floor(Date.now() / 1000) }))!
    sid = session.sid
    secret = session.secret
  })
  afterAll(() => srv.close())

  const claims = (target: string) => ({
    alg: 'dir',
    enc: 'A256GCM',
    typ: 'sealwire-req+jwe',
    sid,
    iat: Math.floor(Date.now() / 1000),
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    htm: 'POST',
    htu: target,
  })

  async function send(envelope: string, jti: string, rk: Uint8Array) {
    const res = await fetch(`${srv.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: envelope })
    expect(res.status).toBe(200)
    const opened = await openResponse(await res.text(), { reply: { jti, rk }, status: 200 })
    return JSON.parse(new TextDecoder().decode(opened.body)) as unknown
  }

  it("jose's CompactEncrypt with dir and the derived key", async () => {
    const header = claims('/api/echo')
    const rk = crypto.getRandomValues(new Uint8Array(32))
    const cek = await deriveSessionRequestKey(secret, header.jti)
    const envelope = await new CompactEncrypt(new TextEncoder().encode(requestPlaintextJson({ from: 'jose' }, rk))).setProtectedHeader(header).encrypt(cek)
    expect(await send(envelope, header.jti, rk)).toEqual({ body: { from: 'jose' }, sid, kid: key.kid })
  })

  it.skipIf(!jwcryptoAvailable)('python-jwcrypto with dir and the derived key', async () => {
    const header = claims('/api/echo')
    const rk = crypto.getRandomValues(new Uint8Array(32))
    const cek = await deriveSessionRequestKey(secret, header.jti)
    const input = JSON.stringify({ jwk: { kty: 'oct', k: base64url.encode(cek) }, header, plaintext: requestPlaintextJson({ from: 'jwcrypto' }, rk) })
    const envelope = execFileSync(PYTHON, [SCRIPT], { input, encoding: 'utf8' })
    expect(await send(envelope, header.jti, rk)).toEqual({ body: { from: 'jwcrypto' }, sid, kid: key.kid })
  })
})
