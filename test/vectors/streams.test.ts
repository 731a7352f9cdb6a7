/**
 * The streams worked example (docs/PROTOCOL.md §12), kept as a vector computed
 * with node:crypto alone: core derives the same key, writes the same framed
 * records, and opens the documented body — header line, newline, records — as
 * a client reads a streamed answer. A change of the derivation, the nonce or
 * the framing breaks it.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openResponse } from '@sealwire/core'
import { createRecordWriter, deriveStreamKey, openRecordStream, splitStreamHeader } from '@sealwire/core/stream'

const example = JSON.parse(readFileSync(new URL('./streams/example.json', import.meta.url), 'utf8')) as {
  rk: string
  salt: string
  jti: string
  info: string
  key: string
  status: number
  header: Record<string, unknown>
  headerLine: string
  records: Array<{ index: number; final: boolean; plaintext: string; nonce: string; framed: string }>
}
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const rk = Buffer.from(example.rk, 'hex')
const salt = Buffer.from(example.salt, 'hex')

describe('the streams worked example', () => {
  it('is the one docs/PROTOCOL.md §12.8 prints', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('### 12.8 Worked example'))
    for (const value of [example.key, example.headerLine, example.salt, example.header.str as string, JSON.stringify(example.header), ...example.records.flatMap((r) => [r.nonce, r.framed])]) expect(section).toContain(value)
  })

  it('K, the nonces and the framed records follow from HKDF-SHA256 and AES-256-GCM as the text says', () => {
    expect(Buffer.from(example.info, 'hex').toString('latin1')).toBe(`sealwire-stream-v1\0response\0${example.jti}`)
    const key = Buffer.from(hkdfSync('sha256', rk, salt, Buffer.from(example.info, 'hex'), 32))
    expect(hex(key)).toBe(example.key)
    for (const record of example.records) {
      const nonce = Buffer.alloc(12)
      nonce.writeBigUInt64BE(BigInt(record.index), 3)
      nonce[11] = record.final ? 1 : 0
      expect(hex(nonce)).toBe(record.nonce)
      const framed = Buffer.from(record.framed, 'hex')
      expect(framed.readUInt32BE(0)).toBe(framed.length - 4)
      const decipher = createDecipheriv('aes-256-gcm', key, nonce)
      decipher.setAuthTag(framed.subarray(-16))
      expect(Buffer.concat([decipher.update(framed.subarray(4, -16)), decipher.final()]).toString()).toBe(record.plaintext)
    }
    // The header line: the v1 answer of an empty plaintext, str in its protected header, sealed under rk.
    const [protectedHeader, , iv, ciphertext, tag] = example.headerLine.split('.')
    expect(JSON.parse(Buffer.from(protectedHeader!, 'base64url').toString())).toEqual(example.header)
    expect(example.header.str).toBe(salt.toString('base64url'))
    const cipher = createCipheriv('aes-256-gcm', rk, Buffer.from(iv!, 'base64url'))
    cipher.setAAD(Buffer.from(protectedHeader!))
    cipher.final()
    expect(ciphertext).toBe('')
    expect(cipher.getAuthTag().toString('base64url')).toBe(tag)
  })

  it("core's writer seals the same records, and a client opens the documented body", async () => {
    const writer = createRecordWriter(await deriveStreamKey(rk, salt, example.jti, 'response'))
    const [first, last] = example.records
    expect(hex(await writer.seal(Buffer.from(first!.plaintext)))).toBe(first!.framed)
    expect(hex(await writer.finish(Buffer.from(last!.plaintext)))).toBe(last!.framed)

    const body = new Blob([`${example.headerLine}\n`, ...example.records.map((r) => Buffer.from(r.framed, 'hex'))]).stream()
    const { compact, records } = await splitStreamHeader(body)
    const opened = await openResponse(compact, { reply: { jti: example.jti, rk }, status: example.status, stream: true })
    expect(opened.contentType).toBe('text/event-stream')
    const text = await new Response(records.pipeThrough(openRecordStream(opened.key))).text()
    expect(text).toBe(example.records.map((r) => r.plaintext).join(''))
  })
})
