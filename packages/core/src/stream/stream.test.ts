/**
 * Sealed streams (docs/PROTOCOL.md §12) at the record level: the writer and
 * reader round trip, every attack on the records gets its verdict, lengths out
 * of range are refused before anything is allocated, and the bytes equal an
 * independent computation with node:crypto written here (HKDF, AES-256-GCM).
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SealwireError, type SealwireErrorCode } from '../errors.js'
import { generateKeyPair } from '../keys/jwk.js'
import { KeyRing } from '../keys/key-ring.js'
import { importRecipientKey } from '../keys/recipient-key.js'
import { platform as nodePlatform } from '../node/platform.js'
import { webCryptoRecordCipher } from '../platform/webcrypto-records.js'
import { openRequest } from '../protocol/open-request.js'
import { openResponse } from '../protocol/open-response.js'
import { sealRequest } from '../protocol/seal-request.js'
import { sealResponse } from '../protocol/seal-response.js'
import { decodeProtectedHeader } from '../protocol/compact.js'
import { MemoryReplayStore } from '../replay/memory-replay-store.js'
import { createRecordReader } from './record-reader.js'
import { openRecordBody, openRecordStream, sealRecordBody, sealRecordStream } from './record-streams.js'
import { createRecordWriter } from './record-writer.js'
import { splitStreamHeader } from './split-stream-header.js'
import { MAX_RECORD_PLAINTEXT, MAX_STREAM_HEADER_LINE } from '../constants.js'
import { recordNonce } from './record-nonce.js'
import { cipherOf, deriveStreamKey, type StreamKey } from './stream-key.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const text = (s: string) => new TextEncoder().encode(s)
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))

// Fixed inputs of the known-answer vector (and of docs/PROTOCOL.md §12's worked example).
const RK = Uint8Array.from({ length: 32 }, (_, i) => i)
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i)
const JTI = 'AAECAwQFBgcICQoLDA0ODw'

/** The spec, computed independently: HKDF-SHA256 and AES-256-GCM from node:crypto, framing by hand. */
function independentKey(rk: Uint8Array, salt: Uint8Array, jti: string, direction: string): Buffer {
  return Buffer.from(hkdfSync('sha256', rk, salt, Buffer.concat([Buffer.from('sealwire-stream-v1'), Buffer.from([0]), Buffer.from(direction), Buffer.from([0]), Buffer.from(jti, 'utf8')]), 32))
}
function independentRecord(key: Buffer, index: number, final: boolean, plaintext: Uint8Array): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64BE(BigInt(index), 3)
  nonce[11] = final ? 1 : 0
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(sealed.length)
  return Buffer.concat([length, sealed])
}

/** Records of a stream, each framed separately: [r0, r1, …, final]. */
async function recordsOf(key: StreamKey, chunks: string[], last = ''): Promise<Uint8Array[]> {
  const writer = createRecordWriter(key)
  const out: Uint8Array[] = []
  for (const chunk of chunks) out.push(await writer.seal(text(chunk)))
  out.push(await writer.finish(text(last)))
  return out
}

/** Reads `bytes` in pushes of `step` bytes; returns the plaintext or the verdict's code. */
async function read(key: StreamKey, bytes: Uint8Array, step = bytes.length || 1): Promise<string | SealwireErrorCode> {
  const reader = createRecordReader(key)
  const out: Uint8Array[] = []
  try {
    for (let at = 0; at < bytes.length; at += step) out.push(...(await reader.push(bytes.subarray(at, at + step))))
    reader.end()
  } catch (error) {
    expect(error).toBeInstanceOf(SealwireError)
    return (error as SealwireError).code
  }
  return new TextDecoder().decode(concat(...out))
}

const responseKey = (rk = RK, salt = SALT, jti = JTI) => deriveStreamKey(rk, salt, jti, 'response')

describe('record writer and reader', () => {
  it('round trip, whatever the transport cuts the bytes into', async () => {
    const key = await responseKey()
    const records = concat(...(await recordsOf(key, ['data: {"i":0}\n\n', '', 'data: {"i":1}\n\n'], 'bye')))
    for (const step of [1, 3, 4, 5, 17, 33, records.length]) expect(await read(key, records, step), `step ${step}`).toBe('data: {"i":0}\n\ndata: {"i":1}\n\nbye')
  })

  it('an empty chunk writes no record; an empty final record ends a stream', async () => {
    const key = await responseKey()
    const writer = createRecordWriter(key)
    expect((await writer.seal(new Uint8Array(0))).length).toBe(0)
    const final = await writer.finish()
    expect(final.length).toBe(4 + 16)
    expect(new DataView(final.buffer).getUint32(0)).toBe(16)
    expect(await read(key, final)).toBe('')
    await expect(async () => writer.seal(text('late'))).rejects.toThrow(TypeError)
    await expect(async () => writer.finish()).rejects.toThrow(TypeError)
  })

  it('splits a chunk over 64 KiB into records of 64 KiB, and the last chunk before its final record', async () => {
    const key = await responseKey()
    const writer = createRecordWriter(key)
    const big = randomBytes(MAX_RECORD_PLAINTEXT + 1)
    const sealed = await writer.seal(big)
    expect(sealed.length).toBe(big.length + 2 * 20)
    expect(new DataView(sealed.buffer).getUint32(0)).toBe(MAX_RECORD_PLAINTEXT + 16)
    expect(new DataView(sealed.buffer).getUint32(4 + MAX_RECORD_PLAINTEXT + 16)).toBe(17)
    const last = randomBytes(2 * MAX_RECORD_PLAINTEXT + 5)
    const final = await writer.finish(last)
    expect(final.length).toBe(last.length + 3 * 20)
    const reader = createRecordReader(key)
    const out = [...(await reader.push(sealed)), ...(await reader.push(final))]
    reader.end()
    expect(out.map((p) => p.length)).toEqual([MAX_RECORD_PLAINTEXT, 1, MAX_RECORD_PLAINTEXT, MAX_RECORD_PLAINTEXT, 5])
    expect(Buffer.concat(out).equals(Buffer.concat([big, last]))).toBe(true)
  })

  it('write and end hand out the bytes seal and finish return, large records in parts on node:crypto, under one numbering', async () => {
    const key = await responseKey()
    const big = randomBytes(MAX_RECORD_PLAINTEXT + 3)
    const framed = createRecordWriter(key)
    const whole = [await framed.seal(text('one')), await framed.seal(new Uint8Array(0)), await framed.seal(big), await framed.seal(text('three')), await framed.finish(text('end'))]
    const mixed = createRecordWriter(key)
    const parts: Uint8Array[] = []
    const emit = (part: Uint8Array) => void parts.push(part)
    await mixed.write(text('one'), emit)
    await mixed.write(new Uint8Array(0), emit)
    await mixed.write(big, emit)
    parts.push(await mixed.seal(text('three')))
    await mixed.end(emit, text('end'))
    expect(hex(concat(...parts))).toBe(hex(concat(...whole)))
    // node:crypto: a small record framed in one chunk, nothing for the empty chunk, then a full 64 KiB
    // record as its length, its ciphertext and its tag as they came (no framed copy), and its 3-byte tail framed.
    expect(parts.slice(0, 5).map((p) => p.length)).toEqual([4 + 3 + 16, 4, MAX_RECORD_PLAINTEXT, 16, 4 + 3 + 16])
    expect(await read(key, concat(...parts))).toBe(`one${new TextDecoder().decode(big)}threeend`)
    expect(() => mixed.write(text('late'), emit)).toThrow(TypeError)
  })

  it('matches an independent HKDF-SHA256 and AES-256-GCM computation (known-answer vector)', async () => {
    const k = independentKey(RK, SALT, JTI, 'response')
    const expected = [independentRecord(k, 0, false, text('data: {"i":0}\n\n')), independentRecord(k, 1, true, text('data: {"i":1}\n\n'))]
    const records = await recordsOf(await responseKey(), ['data: {"i":0}\n\n'], 'data: {"i":1}\n\n')
    expect(records.map(hex)).toEqual(expected.map(hex))
    // The values docs/PROTOCOL.md §12 prints.
    expect(hex(k)).toBe(VECTOR.key)
    expect([hex(recordNonce(0, false)), hex(recordNonce(1, true))]).toEqual(VECTOR.nonces)
    expect(records.map(hex)).toEqual(VECTOR.records)
    // The request direction of the same exchange has another key.
    expect(hex(independentKey(RK, SALT, JTI, 'request'))).not.toBe(hex(k))
  })

  it('nonce: an 88-bit big-endian counter, then the final flag', () => {
    expect(hex(recordNonce(0, false))).toBe('000000000000000000000000')
    expect(hex(recordNonce(0x0102, true))).toBe('000000000000000000010201')
    expect(hex(recordNonce(2 ** 53 - 1, false))).toBe('000000001fffffffffffff00')
  })

  it('WebCrypto and node:crypto record ciphers seal the same bytes and open each other', async () => {
    const raw = randomBytes(32)
    const [web, node] = [await webCryptoRecordCipher(raw), await nodePlatform.recordCipher(raw)]
    const nonce = recordNonce(7, true)
    const plaintext = randomBytes(1000)
    const [a, b] = [new Uint8Array(1016), new Uint8Array(1016)]
    await web.seal(nonce, plaintext, a, 0)
    await node.seal(nonce, plaintext, b, 0)
    expect(hex(a)).toBe(hex(b))
    expect(hex(await web.open(nonce, b))).toBe(hex(plaintext))
    expect(hex(node.open(nonce, a) as Uint8Array)).toBe(hex(plaintext))
    b[3]! ^= 1
    await expect(web.open(nonce, b)).rejects.toThrow()
    // node:crypto answers synchronously (the reader then needs no promise per record).
    expect(() => node.open(nonce, b)).toThrow()
  })
})

describe('record reader verdicts', () => {
  it('stream_truncated: cut at every record boundary and inside every record, before the final one', async () => {
    const key = await responseKey()
    const records = await recordsOf(key, ['one', 'two', 'three'], 'four')
    const whole = concat(...records)
    let boundary = 0
    for (const record of records.slice(0, -1)) {
      boundary += record.length
      expect(await read(key, whole.subarray(0, boundary)), `at ${boundary}`).toBe('stream_truncated')
    }
    for (let cut = 0; cut < whole.length; cut += 1) expect(await read(key, whole.subarray(0, cut), 2), `at ${cut}`).toBe('stream_truncated')
    expect(await read(key, whole, 2)).toBe('onetwothreefour')
  })

  it('stream_record_invalid: reordered, duplicated, altered records', async () => {
    const key = await responseKey()
    const [r0, r1, r2, final] = await recordsOf(key, ['a', 'b', 'c'], 'd')
    expect(await read(key, concat(r1!, r0!, r2!, final!))).toBe('stream_record_invalid')
    expect(await read(key, concat(r0!, r0!, r1!, r2!, final!))).toBe('stream_record_invalid')
    expect(await read(key, concat(r0!, r1!, r1!, r2!, final!))).toBe('stream_record_invalid')
    expect(await read(key, concat(r0!, r2!, final!))).toBe('stream_record_invalid')
    for (const at of [4, 5, r1!.length - 1]) {
      const altered = Uint8Array.from(r1!)
      altered[at]! ^= 0x80
      expect(await read(key, concat(r0!, altered, r2!, final!)), `byte ${at}`).toBe('stream_record_invalid')
    }
  })

  it('stream_record_invalid: records spliced from another stream (another rk, another salt) or from the request direction', async () => {
    const key = await responseKey()
    const [r0, r1, final] = await recordsOf(key, ['a', 'b'], 'c')
    const others = [await responseKey(randomBytes(32)), await responseKey(RK, randomBytes(16)), await deriveStreamKey(RK, SALT, JTI, 'request')]
    for (const other of others) {
      const [o0, o1, oFinal] = await recordsOf(other, ['a', 'b'], 'c')
      expect(await read(key, concat(r0!, o1!, final!))).toBe('stream_record_invalid')
      expect(await read(key, concat(o0!, r1!, final!))).toBe('stream_record_invalid')
      expect(await read(key, concat(r0!, r1!, oFinal!))).toBe('stream_record_invalid')
    }
  })

  it('a final flag moved: a final record early is followed by trailing data; a non-final record last is a truncation', async () => {
    const key = await responseKey()
    const k = independentKey(RK, SALT, JTI, 'response')
    const [r0] = await recordsOf(key, ['a'], 'b')
    // Record 1 sealed final, then a record 2: whatever follows a final record is refused.
    expect(await read(key, concat(r0!, independentRecord(k, 1, true, text('b')), independentRecord(k, 2, true, text('c'))))).toBe('stream_trailing_data')
    // The final record dropped and a non-final one in its place: never a clean end.
    expect(await read(key, concat(r0!, independentRecord(k, 1, false, text('b'))))).toBe('stream_truncated')
    // A final record at the wrong index (record 2's nonce at position 1).
    expect(await read(key, concat(r0!, independentRecord(k, 2, true, text('b'))))).toBe('stream_record_invalid')
  })

  it('a record split across pushes is opened as its pieces arrive, its plaintext released only once the tag verified', async () => {
    const key = await responseKey()
    const writer = createRecordWriter(key)
    const big = randomBytes(MAX_RECORD_PLAINTEXT)
    const sealed = await writer.seal(big)
    const final = await writer.finish(randomBytes(MAX_RECORD_PLAINTEXT))
    for (const step of [1000, 16 * 1024, sealed.length - 1]) {
      const reader = createRecordReader(key)
      const out: Uint8Array[] = []
      // Everything but the last byte of the tag: nothing comes out.
      for (let at = 0; at < sealed.length - 1; at += step) out.push(...(await reader.push(sealed.subarray(at, Math.min(at + step, sealed.length - 1)))))
      expect(out, `step ${step}`).toEqual([])
      out.push(...(await reader.push(sealed.subarray(sealed.length - 1))))
      expect(Buffer.concat(out).equals(big), `step ${step}`).toBe(true)
      // Deciphered as it came (node:crypto), not copied into one record first.
      if (step === 1000) expect(out.length).toBe(Math.ceil(MAX_RECORD_PLAINTEXT / 1000))
      // The final record split too: its middle-record attempt fails, then it opens whole as the final one.
      for (let at = 0; at < final.length; at += step) await reader.push(final.subarray(at, at + step))
      reader.end()
    }
    // Altered in any piece, or in its tag, or a final flag moved: the same verdicts as whole, nothing released.
    const k = independentKey(RK, SALT, JTI, 'response')
    for (const at of [4, 30_000, sealed.length - 17, sealed.length - 1]) {
      const altered = Uint8Array.from(sealed)
      altered[at]! ^= 0x01
      for (const step of [7, 4096]) expect(await read(key, concat(altered, final), step), `byte ${at}, step ${step}`).toBe('stream_record_invalid')
    }
    const early = independentRecord(k, 0, true, big)
    expect(await read(key, concat(early, final), 4096)).toBe('stream_trailing_data')
    expect(await read(key, independentRecord(k, 0, false, big), 4096)).toBe('stream_truncated')
  })

  it('stream_trailing_data: any byte after the final record, in the same push or a later one', async () => {
    const key = await responseKey()
    const whole = concat(...(await recordsOf(key, ['a'], 'b')))
    expect(await read(key, concat(whole, Uint8Array.of(0)))).toBe('stream_trailing_data')
    expect(await read(key, concat(whole, Uint8Array.of(0)), whole.length)).toBe('stream_trailing_data')
    expect(await read(key, concat(whole, whole))).toBe('stream_trailing_data')
  })

  it('stream_record_too_large: a length out of range, refused from its prefix alone, before anything is allocated', async () => {
    const key = await responseKey()
    for (const length of [0xffffffff, 0x80000000, MAX_RECORD_PLAINTEXT + 17, 15, 0]) {
      const prefix = new Uint8Array(4)
      new DataView(prefix.buffer).setUint32(0, length)
      const reader = createRecordReader(key)
      const before = process.memoryUsage().arrayBuffers
      // The prefix only: a reader that allocated for the record (4 GiB) would wait for more, not refuse.
      await expect(reader.push(prefix), `L=${length}`).rejects.toMatchObject({ code: 'stream_record_too_large' })
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20)
      // Spent: a later push or end gives the same verdict.
      await expect(reader.push(Uint8Array.of(1))).rejects.toMatchObject({ code: 'stream_record_too_large' })
      expect(() => reader.end()).toThrow(expect.objectContaining({ code: 'stream_record_too_large' }))
    }
    // The prefix split across pushes is checked the same way.
    const reader = createRecordReader(key)
    expect(await reader.push(Uint8Array.of(0xff, 0xff))).toEqual([])
    await expect(reader.push(Uint8Array.of(0xff, 0xff))).rejects.toMatchObject({ code: 'stream_record_too_large' })
  })

  it('stream_record_invalid: a chunk that is not bytes, wherever in a record it falls, through push and feed alike', async () => {
    const key = await responseKey()
    const writer = createRecordWriter(key)
    const sealed = await writer.seal(randomBytes(40_000))
    // Before a record, inside its ciphertext, inside its tag.
    for (const cut of [0, 1_000, sealed.length - 5]) {
      for (const bad of ['x'.repeat(64), new ArrayBuffer(8), new DataView(new ArrayBuffer(8)), [1, 2, 3], 7, null]) {
        const label = `${Object.prototype.toString.call(bad)} at ${cut}`
        const pushed = createRecordReader(key)
        await pushed.push(sealed.subarray(0, cut))
        await expect(pushed.push(bad as unknown as Uint8Array), label).rejects.toMatchObject({ code: 'stream_record_invalid', message: expect.stringContaining('Uint8Array') })
        // Spent: the rest of the stream, even whole, is not read past it.
        await expect(pushed.push(sealed.subarray(cut)), label).rejects.toMatchObject({ code: 'stream_record_invalid' })
        const fed = createRecordReader(key)
        fed.feed(sealed.subarray(0, cut), () => {})
        expect(() => fed.feed(bad as unknown as Uint8Array, () => {}), label).toThrow(expect.objectContaining({ code: 'stream_record_invalid' }))
      }
    }
  })

  it('the largest record (64 KiB of plaintext) is accepted', async () => {
    const key = await responseKey()
    const payload = randomBytes(MAX_RECORD_PLAINTEXT)
    const writer = createRecordWriter(key)
    const bytes = concat(await writer.finish(payload))
    expect(new DataView(bytes.buffer).getUint32(0)).toBe(MAX_RECORD_PLAINTEXT + 16)
    const reader = createRecordReader(key)
    expect(hex((await reader.push(bytes))[0]!)).toBe(hex(payload))
    reader.end()
  })

  it('messages name the fix and carry nothing of the stream', async () => {
    const key = await responseKey()
    const [r0, final] = await recordsOf(key, ['SECRET-PLAINTEXT'], '')
    for (const bytes of [r0!, concat(final!, r0!), concat(final!, final!), Uint8Array.of(255, 255, 255, 255)]) {
      const reader = createRecordReader(key)
      const error = await Promise.resolve()
        .then(async () => {
          await reader.push(bytes)
          reader.end()
        })
        .then(() => undefined, (e: unknown) => e as SealwireError)
      expect(error?.status).toBe(400)
      expect(error?.message).toMatch(/retry|Discard|path/)
      expect(error?.message).not.toContain('SECRET')
    }
  })
})

describe('web streams', () => {
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const chunks: Uint8Array[] = []
    const reader = stream.getReader()
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value)
    return chunks
  }
  const streamOf = (chunks: Uint8Array[]) => new ReadableStream<Uint8Array>({ start: (c) => (chunks.forEach((x) => c.enqueue(x)), c.close()) })

  /** The records in `chunks` (however they are cut), each whole: split by their length prefixes. */
  const recordsIn = (chunks: Uint8Array[]): Uint8Array[] => {
    const bytes = concat(...chunks)
    const out: Uint8Array[] = []
    for (let at = 0; at < bytes.length; ) {
      const end = at + 4 + new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0)
      out.push(bytes.subarray(at, end))
      at = end
    }
    return out
  }

  it('sealRecordStream flushes each written chunk as its own record; openRecordStream gives them back one by one', async () => {
    const key = await responseKey()
    const sealed = await collect(streamOf([text('event one'), text('event two')]).pipeThrough(sealRecordStream(key)))
    expect(recordsIn(sealed).map((c) => c.length)).toEqual([4 + 9 + 16, 4 + 9 + 16, 20])
    const opened = await collect(streamOf(sealed).pipeThrough(openRecordStream(key)))
    expect(opened.map((c) => new TextDecoder().decode(c))).toEqual(['event one', 'event two'])
  })

  it('sealRecordStream on node:crypto hands on a full record as its length, ciphertext and tag (no framed copy), a small one framed in one chunk', async () => {
    const key = await responseKey()
    const big = randomBytes(MAX_RECORD_PLAINTEXT + 10)
    const writes: Uint8Array[] = []
    const sealing = sealRecordStream(key)
    const writer = sealing.writable.getWriter()
    const reading = collect(sealing.readable)
    await writer.write(text('event one'))
    await writer.write(big)
    await writer.close()
    writes.push(...(await reading))
    expect(writes.map((c) => c.length)).toEqual([4 + 9 + 16, 4, MAX_RECORD_PLAINTEXT, 16, 4 + 10 + 16, 4 + 16])
    // The bytes are the records of §12.4, opened whole by the reader and by openRecordBody.
    expect(recordsIn(writes).map((r) => r.length)).toEqual([29, MAX_RECORD_PLAINTEXT + 20, 30, 20])
    const whole = await collect(openRecordBody(streamOf(writes), key))
    expect(Buffer.concat(whole).equals(Buffer.concat([text('event one'), big]))).toBe(true)
  })

  it('sealRecordBody: the same records as sealRecordStream, pulled one chunk at a time; an empty chunk makes no record', async () => {
    const key = await responseKey()
    const big = randomBytes(MAX_RECORD_PLAINTEXT + 10)
    const chunks = [text('event one'), new Uint8Array(0), big, text('event two')]
    const piped = concat(...(await collect(streamOf(chunks).pipeThrough(sealRecordStream(key)))))
    const pulled = await collect(sealRecordBody(streamOf(chunks), key))
    // Records carry no key-independent randomness: the same key and chunks give the same bytes.
    expect(hex(concat(...pulled))).toBe(hex(piped))
    expect(recordsIn(pulled).map((r) => r.length)).toEqual([29, MAX_RECORD_PLAINTEXT + 20, 30, 29, 20])
    const opened = await collect(openRecordBody(streamOf(pulled), key))
    expect(Buffer.concat(opened).equals(Buffer.concat([text('event one'), big, text('event two')]))).toBe(true)
  })

  it('sealRecordBody reads its source only when asked, and a failing source leaves a cut stream, never a clean end', async () => {
    const key = await responseKey()
    let pulls = 0
    let cancelled: unknown
    const source = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          pulls += 1
          if (pulls <= 2) c.enqueue(text(`chunk ${pulls}`))
          else c.error(new Error('source failed'))
        },
        cancel: (reason) => void (cancelled = reason),
      },
      { highWaterMark: 0 },
    )
    const body = sealRecordBody(source, key)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(pulls).toBe(0)
    const parts: Uint8Array[] = []
    const reader = body.getReader()
    await expect(
      (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value)
      })(),
    ).rejects.toThrow('source failed')
    expect(recordsIn(parts)).toHaveLength(2)
    await expect(collect(openRecordBody(streamOf(parts), key))).rejects.toMatchObject({ code: 'stream_truncated' })
    // Cancelling the records cancels the source.
    const second = sealRecordBody(new ReadableStream<Uint8Array>({ cancel: (reason) => void (cancelled = reason) }), key)
    await second.cancel('gone')
    expect(cancelled).toBe('gone')
  })

  it('on WebCrypto (no sealing in parts) write, end and sealRecordBody hand out one framed chunk a call, the same bytes', async () => {
    // A key whose cipher is the portable one: what a browser or a Worker runs.
    const key = await responseKey()
    const cipher = cipherOf(key)
    const web = await webCryptoRecordCipher(independentKey(RK, SALT, JTI, 'response'))
    delete cipher.sealInParts
    delete cipher.openInPieces
    Object.assign(cipher, web)
    const big = randomBytes(MAX_RECORD_PLAINTEXT + 3)
    const writer = createRecordWriter(key)
    const parts: Uint8Array[] = []
    const emit = (part: Uint8Array) => void parts.push(part)
    const writing = writer.write(text('one'), emit)
    expect(writing).toBeInstanceOf(Promise)
    await writing
    await writer.write(new Uint8Array(0), emit)
    await writer.write(big, emit)
    await writer.end(emit, text('end'))
    expect(parts.map((p) => p.length)).toEqual([4 + 3 + 16, big.length + 2 * 20, 4 + 3 + 16])
    const expected = await recordsOf(await responseKey(), ['one'])
    expect(hex(parts[0]!)).toBe(hex(expected[0]!))
    const pulled = await collect(sealRecordBody(streamOf([text('one'), new Uint8Array(0), big, text('end')]), key))
    expect(pulled.map((p) => p.length)).toEqual([4 + 3 + 16, big.length + 2 * 20, 4 + 3 + 16, 20])
    const opened = await collect(openRecordBody(streamOf(pulled), key))
    expect(Buffer.concat(opened).equals(Buffer.concat([text('one'), big, text('end')]))).toBe(true)
  })

  it('openRecordStream errors with the verdict: a cut stream is never a clean end', async () => {
    const key = await responseKey()
    const sealed = recordsIn(await collect(streamOf([text('a'), text('b')]).pipeThrough(sealRecordStream(key))))
    await expect(collect(streamOf(sealed.slice(0, 2)).pipeThrough(openRecordStream(key)))).rejects.toMatchObject({ code: 'stream_truncated' })
    await expect(collect(streamOf([sealed[1]!, sealed[0]!, sealed[2]!]).pipeThrough(openRecordStream(key)))).rejects.toMatchObject({ code: 'stream_record_invalid' })
  })

  it('splitStreamHeader: the line before the first newline, the rest as record bytes, however the body is cut', async () => {
    const body = text('header.line..x.y\nREST-ONE')
    for (const step of [1, 5, 17, body.length]) {
      const chunks = [] as Uint8Array[]
      for (let at = 0; at < body.length; at += step) chunks.push(body.subarray(at, at + step))
      chunks.push(text('-TWO'))
      const { compact, records } = await splitStreamHeader(streamOf(chunks))
      expect(compact).toBe('header.line..x.y')
      expect(new TextDecoder().decode(concat(...(await collect(records))))).toBe('REST-ONE-TWO')
    }
  })

  it('splitStreamHeader refuses a line over 64 KiB, and a body without a newline, as stream_record_too_large', async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(4096).fill(0x41))
        pulled += 4096
      },
    })
    await expect(splitStreamHeader(endless)).rejects.toMatchObject({ code: 'stream_record_too_large' })
    expect(pulled).toBeLessThanOrEqual(MAX_STREAM_HEADER_LINE + 3 * 4096)
    await expect(splitStreamHeader(streamOf([text('no newline')]))).rejects.toMatchObject({ code: 'stream_record_too_large' })
    await expect(splitStreamHeader(streamOf([]))).rejects.toMatchObject({ code: 'stream_record_too_large' })
    const { compact } = await splitStreamHeader(streamOf([new Uint8Array(MAX_STREAM_HEADER_LINE).fill(0x41), text('\n')]))
    expect(compact.length).toBe(MAX_STREAM_HEADER_LINE)
  })
})

describe('sealResponse / openResponse with stream, sealRequest with streams and bodyStream', () => {
  async function exchange(streams: boolean) {
    const { publicJwk, privateJwk } = await generateKeyPair('X25519')
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request: { method: 'POST', target: '/s' }, bodyStream: true, streams })
    const keyRing = await KeyRing.from([privateJwk])
    const opened = await openRequest(sealed.envelope, { keyRing, replayStore: new MemoryReplayStore(), request: { method: 'POST', target: '/s' } })
    return { sealed, opened }
  }

  it('a streamed answer: the header line opens with its key, the records follow; str authenticated with sts and cty', async () => {
    const { sealed, opened } = await exchange(true)
    expect(opened.reply.streams).toBe(true)
    const { compact, key } = await sealResponse({ reply: opened.reply, status: 200, contentType: 'text/event-stream', stream: true })
    const header = decodeProtectedHeader(compact)
    expect(typeof header.str).toBe('string')
    expect(header.cty).toBe('text/event-stream')
    const records = concat(...(await recordsOf(key, ['data: 1\n\n'], '')))
    const answer = await openResponse(compact, { reply: sealed.reply, status: 200, stream: true })
    expect(answer.contentType).toBe('text/event-stream')
    expect(answer.body.length).toBe(0)
    expect(await read(answer.key, records)).toBe('data: 1\n\n')
    // A streamed header passed off as a whole answer, a whole answer as a stream, a wrong status: refused.
    await expect(openResponse(compact, { reply: sealed.reply, status: 200 })).rejects.toMatchObject({ code: 'response_decryption_failed' })
    const whole = await sealResponse({ reply: opened.reply, status: 200, contentType: 'text/plain', body: '' })
    await expect(openResponse(whole, { reply: sealed.reply, status: 200, stream: true })).rejects.toMatchObject({ code: 'response_decryption_failed' })
    await expect(openResponse(compact, { reply: sealed.reply, status: 201, stream: true })).rejects.toMatchObject({ code: 'response_binding_mismatch' })
  })

  it('a requester that did not announce streams never gets one: sealResponse refuses, synchronously', async () => {
    const { opened } = await exchange(false)
    expect(opened.reply.streams).toBeUndefined()
    expect(() => sealResponse({ reply: opened.reply, status: 200, contentType: 'text/event-stream', stream: true })).toThrow(TypeError)
  })

  it('a streamed upload: str in the header when asked, bsn in the plaintext, the same request key on both sides', async () => {
    const { sealed, opened } = await exchange(true)
    expect(decodeProtectedHeader(sealed.envelope).str).toBe(1)
    expect(sealed.headers).toEqual({ 'Content-Type': 'application/sealwire-stream' })
    expect(sealed.httpBody).toBe(`${sealed.envelope}\n`)
    expect(opened.body).toBeNull()
    expect(opened.bodyStream?.length).toBe(16)
    const serverKey = await deriveStreamKey(opened.reply.rk, opened.bodyStream!, opened.claims.jti, 'request')
    const records = concat(...(await recordsOf(sealed.bodyKey!, ['upload '], 'done')))
    expect(await read(serverKey, records)).toBe('upload done')
    // The upload's records never open as the answer's.
    expect(await read(await deriveStreamKey(opened.reply.rk, opened.bodyStream!, opened.claims.jti, 'response'), records)).toBe('stream_record_invalid')
  })

  it('bodyStream is refused with a body or on GET, as caller misuse', async () => {
    const { publicJwk } = await generateKeyPair('P-256')
    const recipient = await importRecipientKey(publicJwk)
    await expect(sealRequest({ recipient, request: { method: 'POST', target: '/s' }, bodyStream: true, body: 1 })).rejects.toThrow(TypeError)
    await expect(sealRequest({ recipient, request: { method: 'GET', target: '/s' }, bodyStream: true })).rejects.toThrow(TypeError)
  })
})

/** docs/PROTOCOL.md §12's worked example, checked above against the independent computation. */
const VECTOR = {
  key: 'ecbed7c6433d0c2aac334fd267f4c5e9e28cb6b6aaba664a2203c1170a7384a4',
  nonces: ['000000000000000000000000', '000000000000000000000101'],
  records: ['0000001fc7a8f95a8b5a693ab49def79244743aeaafe0599de6de5ea39c7eb414646c6', '0000001f776e8da3389f95c6b8498f308875922adaa26271442556399d8cbabd8cba7c'],
}
