/**
 * The sealed head's worked example (docs/PROTOCOL.md §3.5, §4.1), kept as a
 * vector: the documented envelope opens with the documented (example) key to
 * the documented head, and the documented answer opens to its sealed fields,
 * on every backend. A change of the wire format breaks it.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { KeyRing, MemoryReplayStore, decodeProtectedHeader, joseBackend, openRequest, openResponse, type CryptoBackend } from '@sealwire/core'
import { nodeBackend } from '@sealwire/core/node'

const example = JSON.parse(readFileSync(new URL('./sealed-head/example.json', import.meta.url), 'utf8')) as {
  privateJwk: unknown
  iatMs: number
  request: { method: string; target: string; origin: string; envelope: string }
  plaintext: { rk: string; hdr: Record<string, string>; qry: string }
  response: { status: number; envelope: string; contentType: string; body: string; headers: Array<[string, string]> }
}

describe.each([
  ['jose', joseBackend as CryptoBackend],
  ['node', nodeBackend as CryptoBackend],
])('the sealed head worked example, %s backend', (_name, backend) => {
  it('opens to the documented head, and its answer to the documented fields', async () => {
    const keyRing = await KeyRing.from([example.privateJwk], { backend })
    const clock = () => example.iatMs
    const opened = await openRequest(example.request.envelope, {
      keyRing,
      replayStore: new MemoryReplayStore({ clock: () => example.iatMs - 60_000 }),
      request: { method: example.request.method, target: example.request.target, origin: example.request.origin },
      origins: [example.request.origin],
      clock,
    })
    expect(decodeProtectedHeader(example.request.envelope)).toMatchObject({ htu: '/api/search', shd: 1, crit: ['shd'] })
    expect(opened.head).toEqual({ headers: Object.entries(example.plaintext.hdr), query: example.plaintext.qry, target: `/api/search?${example.plaintext.qry}` })
    expect(Buffer.from(opened.reply.rk).toString('base64url')).toBe(example.plaintext.rk)
    const answer = await openResponse(example.response.envelope, { reply: opened.reply, status: example.response.status, backend })
    expect({ contentType: answer.contentType, body: new TextDecoder().decode(answer.body), headers: answer.headers }).toEqual({
      contentType: example.response.contentType,
      body: example.response.body,
      headers: example.response.headers,
    })
  })
})
