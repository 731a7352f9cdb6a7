import { describe, expect, it } from 'vitest'
import { KeyRing, MemoryReplayStore, generateKeyPair, importRecipientKey, openRequest, openResponse, sealRequest, sealResponse } from '@sealwire/core'

describe('round trip', () => {
  for (const curve of ['P-256', 'X25519'] as const) {
    it(`seals and opens a request and its response on ${curve}`, async () => {
      const { privateJwk, publicJwk } = await generateKeyPair(curve)
      const keyRing = await KeyRing.from([privateJwk])
      const recipient = await importRecipientKey(publicJwk)
      const request = { method: 'POST', target: '/api/echo?x=1' }
      const sealed = await sealRequest({ recipient, request, body: { hello: 'world' } })
      const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: new MemoryReplayStore({ clock: () => 0 }) })
      expect(opened.body).toEqual({ hello: 'world' })
      expect(opened.claims).toMatchObject({ kid: publicJwk.kid, crv: curve, htm: 'POST', htu: '/api/echo?x=1' })
      const jwe = await sealResponse({ reply: opened.reply, status: 201, contentType: 'application/json', body: '{"ok":true}' })
      const res = await openResponse(jwe, { reply: sealed.reply, status: 201 })
      expect(new TextDecoder().decode(res.body)).toBe('{"ok":true}')
      expect(res.contentType).toBe('application/json')
    })
  }
})
