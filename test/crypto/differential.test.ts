/**
 * The Node-native backend against the jose reference: whatever one seals the
 * other opens, on both curves and in both directions, for random bodies and
 * sizes; the bytes on the wire have the same shape; and every error code that
 * core's protocol functions can raise is reached through each backend alike.
 * (Wycheproof verdicts are compared in test/vectors/.)
 */
import {
  KeyRing,
  SealwireError,
  defaultBackend,
  generateKeyPair,
  importRecipientKey,
  joseBackend,
  openRequest,
  openResponse,
  sealRequest,
  sealResponse,
  type CryptoBackend,
  type Curve,
  type ReplayStore,
} from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'
import { describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/backends.js'
import { b64u, fromB64u, requestPlaintextJson, sealEcdhEs, utf8 } from '../helpers/vectors.js'

const CURVE_LIST: readonly Curve[] = ['X25519', 'P-256']
const request = { method: 'POST', target: '/api/differential?x=1' }
/** A replay store with no start time (no `rememberedSince`): the freshness window alone decides, whatever second the test runs in. */
const fresh = (): ReplayStore => {
  const seen = new Set<string>()
  return { checkAndSet: async (jti) => !seen.has(jti) && Boolean(seen.add(jti)) }
}
const node = nodeBackend as CryptoBackend

/** A random JSON body of roughly `size` characters: strings, numbers, nesting, non-ASCII text. */
function randomBody(size: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!
  const alphabet = ['a', 'Z', '0', ' ', 'é', '€', '😀', '"', '\\', '\n']
  const chunk = () => Array.from({ length: 61 }, () => pick(alphabet)).join('')
  const text = (n: number) => (chunk() + chunk().repeat(Math.ceil(n / 61))).slice(0, n)
  return { id: Math.floor(Math.random() * 1e9), text: text(size), nested: { list: [1, -2.5, true, null, text(8)] } }
}

const headerOf = (compact: string) => JSON.parse(new TextDecoder().decode(fromB64u(compact.split('.')[0]!))) as Record<string, unknown>

async function ring(curve: Curve, backend: CryptoBackend) {
  const { privateJwk, publicJwk } = await generateKeyPair(curve)
  return { keyRing: await KeyRing.from([privateJwk], { backend }), publicJwk }
}

describe('Node picks the native backend without any option', () => {
  it('is the default backend, of key rings and recipients alike', async () => {
    expect(defaultBackend).toBe(nodeBackend)
    const { keyRing, publicJwk } = await ring('X25519', defaultBackend)
    expect(new KeyRing().backend.name).toBe('node')
    expect(keyRing.backend.name).toBe('node')
    expect((await importRecipientKey(publicJwk)).backend.name).toBe('node')
  })
})

describe.each(BACKENDS)('apu/apv on the $name backend: one verdict (docs/PROTOCOL.md §5.1)', (backend) => {
  const clien = new TextEncoder().encode('clien') // 5 bytes: "Y2xpZW4", one padding character short of a multiple of 4
  const sealWith = async (publicJwk: Parameters<typeof sealEcdhEs>[0], members: Record<string, unknown>, parties: { apu?: Uint8Array<ArrayBuffer>; apv?: Uint8Array<ArrayBuffer> }) =>
    sealEcdhEs(
      publicJwk,
      (epk) => JSON.stringify({ alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: (publicJwk as { kid?: string }).kid, epk, iat: Math.floor(Date.now() / 1000), jti: b64u(crypto.getRandomValues(new Uint8Array(16))), htm: request.method, htu: request.target, ...members }),
      requestPlaintextJson({ ok: true }),
      parties,
    )
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'opened', (e: unknown) => (e instanceof SealwireError ? e.code : String(e)))

  it.each(CURVE_LIST)('%s: canonical apu/apv open; padded, spaced or re-spelled ones are malformed_envelope', async (curve) => {
    const { keyRing, publicJwk } = await ring(curve, backend)
    const open = (envelope: string) => openRequest(envelope, { keyRing, request, replayStore: fresh() })
    expect(await codeOf(open(await sealWith(publicJwk, { apu: 'Y2xpZW4' }, { apu: clien })))).toBe('opened')
    expect(await codeOf(open(await sealWith(publicJwk, { apv: 'Y2xpZW4' }, { apv: clien })))).toBe('opened')
    // Each spelling is sealed with the bytes a lenient decoder reads from it, so only the check refuses it.
    for (const value of ['Y2xpZW4=', ' Y2xpZW4', 'Y2xpZW4 ', 'Y2xp ZW4', 'Y2xp\nZW4', 'Y2xpZW4\t', 'Y2xpZW5']) {
      for (const name of ['apu', 'apv'] as const) {
        expect(await codeOf(open(await sealWith(publicJwk, { [name]: value }, { [name]: clien }))), `${name} ${JSON.stringify(value)}`).toBe('malformed_envelope')
      }
    }
    for (const value of [5, null, ['Y2xpZW4'], {}]) expect(await codeOf(open(await sealWith(publicJwk, { apu: value }, {})))).toBe('malformed_envelope')
  })
})

describe.each(CURVE_LIST)('%s: native and jose open what the other sealed', (curve) => {
  const sizes = [0, 1, 15, 16, 17, 1000, 4096, 65_537, 200_000]

  for (const [sealer, opener] of [
    [joseBackend, node],
    [node, joseBackend],
  ] as const) {
    it(`${sealer.name} seals the request, ${opener.name} opens it; ${opener.name} seals the response, ${sealer.name} opens it`, async () => {
      const { keyRing, publicJwk } = await ring(curve, opener)
      const recipient = await importRecipientKey(publicJwk, sealer)
      for (const size of sizes) {
        const body = randomBody(size)
        const sealed = await sealRequest({ recipient, request, body })
        const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: fresh() })
        expect(opened.body).toEqual(body)
        expect(opened.reply.rk).toEqual(sealed.reply.rk)

        const answer = utf8(JSON.stringify({ echo: body }))
        const response = await sealResponse({ reply: opened.reply, status: 201, contentType: 'application/json', body: answer, backend: opener })
        const back = await openResponse(response, { reply: sealed.reply, status: 201, backend: sealer })
        expect(back.body).toEqual(answer)
        expect(back.body.constructor).toBe(Uint8Array)
      }
    })
  }

  it('both write the same protected header, member for member and in the same order', async () => {
    const { publicJwk } = await ring(curve, joseBackend)
    const headers = await Promise.all(
      [joseBackend, node].map(async (backend) => {
        const recipient = await importRecipientKey(publicJwk, backend)
        const sealed = await sealRequest({ recipient, request, body: { a: 1 }, clock: () => 1_700_000_000_000, random: (n) => new Uint8Array(n).fill(7) })
        const parts = sealed.envelope.split('.')
        expect(parts.map((p) => p.length).slice(1, 3)).toEqual([0, 16]) // empty encrypted key, 96-bit IV
        expect(fromB64u(parts[4]!)).toHaveLength(16)
        return headerOf(sealed.envelope)
      }),
    )
    const [jose, native] = headers as [Record<string, unknown>, Record<string, unknown>]
    expect(Object.keys(native)).toEqual(Object.keys(jose))
    expect(Object.keys(native.epk as object)).toEqual(Object.keys(jose.epk as object))
    expect({ ...native, epk: undefined }).toEqual({ ...jose, epk: undefined })

    const reply = { jti: b64u(new Uint8Array(16).fill(1)), rk: new Uint8Array(32).fill(2) }
    const [r1, r2] = await Promise.all([joseBackend, node].map((backend) => sealResponse({ reply, status: 200, contentType: 'text/plain', body: 'x', backend })))
    expect(r2!.split('.')[0]).toBe(r1!.split('.')[0])
  })

  it('a ciphertext, tag, IV or header altered by one bit is refused by both with decryption_failed', async () => {
    for (const opener of BACKENDS) {
      const { keyRing, publicJwk } = await ring(curve, opener)
      for (const sealer of BACKENDS) {
        const recipient = await importRecipientKey(publicJwk, sealer)
        const sealed = await sealRequest({ recipient, request, body: randomBody(64) })
        for (const part of [2, 3, 4]) {
          const parts = sealed.envelope.split('.')
          const bytes = fromB64u(parts[part]!)
          bytes[bytes.length - 1]! ^= 1
          parts[part] = b64u(bytes)
          const error = await openRequest(parts.join('.'), { keyRing, request, replayStore: fresh() }).catch((e: unknown) => e)
          expect((error as SealwireError).code, `${sealer.name}→${opener.name} part ${part}`).toBe('decryption_failed')
        }
      }
    }
  })
})

/** One envelope per code core's protocol functions can raise, built the same way for each backend. */
describe.each(BACKENDS.map((b) => [b.name, b] as const))('every protocol error code through the %s backend', (_name, backend) => {
  const codes = new Set<string>()
  const expectCode = async (promise: Promise<unknown>, code: string) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error, code).toBeInstanceOf(SealwireError)
    expect((error as SealwireError).code).toBe(code)
    codes.add(code)
  }

  it.each(CURVE_LIST)('%s', async (curve) => {
    const { keyRing, publicJwk } = await ring(curve, backend)
    const recipient = await importRecipientKey(publicJwk, backend)
    const seal = (body: unknown = { ok: true }, target = request.target) => sealRequest({ recipient, request: { method: 'POST', target }, body })
    const open = (envelope: string, extra: Partial<Parameters<typeof openRequest>[1]> = {}) => openRequest(envelope, { keyRing, request, replayStore: fresh(), ...extra })
    const withHeader = (envelope: string, edit: (h: Record<string, unknown>) => Record<string, unknown>) => [b64u(JSON.stringify(edit(headerOf(envelope)))), ...envelope.split('.').slice(1)].join('.')

    const good = (await seal()).envelope
    await expectCode(open('a.b.c'), 'malformed_envelope')
    await expectCode(open(`${'a'.repeat(9000)}.${good.split('.').slice(1).join('.')}`), 'payload_too_large')
    await expectCode(open(withHeader(good, (h) => ({ ...h, enc: 'A128GCM' }))), 'unsupported_algorithm')
    await expectCode(open(withHeader(good, (h) => ({ ...h, kid: 'nobody' }))), 'unknown_key')
    await expectCode(open(good, { clock: () => Date.now() + 3_600_000 }), 'stale_request')
    await expectCode(open(withHeader(good, (h) => ({ ...h, htm: 'PUT' }))), 'decryption_failed')
    await expectCode(open((await seal({ ok: true }, '/elsewhere')).envelope), 'binding_mismatch')
    const store = fresh()
    await open(good, { replayStore: store })
    await expectCode(open(good, { replayStore: store }), 'replayed_request')
    const broken: ReplayStore = { checkAndSet: async () => Promise.reject(new Error('down')) }
    await expectCode(open((await seal()).envelope, { replayStore: broken }), 'replay_guard_unavailable')
    let deep: unknown = 1
    for (let i = 0; i < 70; i++) deep = [deep]
    await expectCode(open((await seal(deep)).envelope), 'invalid_payload')

    const sealed = await seal()
    const opened = await open(sealed.envelope)
    const response = await sealResponse({ reply: opened.reply, status: 200, contentType: 'application/json', body: '{}', backend })
    await expectCode(openResponse(response, { reply: sealed.reply, status: 404, backend }), 'response_binding_mismatch')
    await expectCode(openResponse(response, { reply: { ...sealed.reply, rk: new Uint8Array(32) }, status: 200, backend }), 'response_decryption_failed')
    await expectCode(openResponse(response.replace(/\.[^.]+$/, '.AAAA'), { reply: sealed.reply, status: 200, backend }), 'response_decryption_failed')

    expect([...codes].sort()).toEqual(
      [
        'binding_mismatch',
        'decryption_failed',
        'invalid_payload',
        'malformed_envelope',
        'payload_too_large',
        'replay_guard_unavailable',
        'replayed_request',
        'response_binding_mismatch',
        'response_decryption_failed',
        'stale_request',
        'unknown_key',
        'unsupported_algorithm',
      ].sort(),
    )
  })
})
