/**
 * The sessions worked example (docs/PROTOCOL.md §11), kept as a vector computed
 * with node:crypto alone: core derives the same Z, S and request key from the
 * documented ephemeral keys, and opens the documented request within the
 * session, on every backend. A change of the derivation or the wire format breaks it.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { KeyRing, MemoryReplayStore, MemorySessionStore, deriveSessionRequestKey, deriveSessionSecret, joseBackend, openRequest, thumbprint, type CryptoBackend, type EphemeralPublicJwk } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { nobleBackend } from '@sealwire/client/noble'

const example = JSON.parse(readFileSync(new URL('./sessions/example.json', import.meta.url), 'utf8')) as {
  serverKey: { kid: string }
  origin: string
  establishing: { jti: string; cpk: EphemeralPublicJwk; cskD: string; ses: { sid: string; spk: EphemeralPublicJwk; exp: number }; sskD: string }
  z: string
  cpkThumbprint: string
  spkThumbprint: string
  sessionSecret: string
  request: { header: { iat: number; jti: string; htm: string; htu: string }; cek: string; plaintext: string; envelope: string }
}
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')

describe.each([
  ['jose', joseBackend as CryptoBackend],
  ['node', nodeBackend as CryptoBackend],
  ['noble', nobleBackend as CryptoBackend],
])('the sessions worked example, %s backend', (_name, backend) => {
  it('derives the documented Z, S and request key, and opens the documented request within the session', async () => {
    const { establishing } = example
    expect(await thumbprint(establishing.cpk)).toBe(example.cpkThumbprint)
    expect(await thumbprint(establishing.ses.spk)).toBe(example.spkThumbprint)
    // Z from either side's private key (imported as a static key: the same ECDH).
    const csk = await backend.importPrivateKey({ ...establishing.cpk, d: establishing.cskD })
    const ssk = await backend.importPrivateKey({ ...establishing.ses.spk, d: establishing.sskD })
    expect(b64u(await backend.agree!(csk, establishing.ses.spk))).toBe(example.z)
    expect(b64u(await backend.agree!(ssk, establishing.cpk))).toBe(example.z)

    const secret = await deriveSessionSecret(Buffer.from(example.z, 'base64url'), { jti: establishing.jti, kid: example.serverKey.kid, origin: example.origin, cpk: establishing.cpk, spk: establishing.ses.spk })
    expect(b64u(secret)).toBe(example.sessionSecret)
    expect(b64u(await deriveSessionRequestKey(secret, example.request.header.jti))).toBe(example.request.cek)

    const now = example.request.header.iat * 1000
    const sessionStore = new MemorySessionStore({ clock: () => now })
    await sessionStore.set(establishing.ses.sid, { secret, kid: example.serverKey.kid, crv: 'X25519', origin: example.origin, exp: establishing.ses.exp })
    const opened = await openRequest(example.request.envelope, {
      keyRing: await KeyRing.from([example.serverKey], { backend }),
      replayStore: new MemoryReplayStore({ clock: () => now - 60_000 }),
      sessionStore,
      request: { method: example.request.header.htm, target: example.request.header.htu, origin: example.origin },
      origins: [example.origin],
      clock: () => now,
    })
    expect(opened.body).toEqual(JSON.parse(example.request.plaintext).body)
    expect(opened.claims).toMatchObject({ sid: establishing.ses.sid, kid: example.serverKey.kid, crv: 'X25519' })
  })
})
