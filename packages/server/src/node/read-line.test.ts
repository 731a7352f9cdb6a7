import { PassThrough } from 'node:stream'
import { SealwireError } from '@sealwire/core'
import { describe, expect, it } from 'vitest'
import { readNodeLine } from './read-line.js'

const rest = async (stream: PassThrough): Promise<string> => {
  let text = ''
  for await (const chunk of stream) text += (chunk as Buffer).toString('latin1')
  return text
}

describe('readNodeLine', () => {
  it('reads up to the first LF across chunks, and leaves every byte after it in the stream', async () => {
    const stream = new PassThrough()
    stream.write('eyJh.')
    stream.write('x.y.z\nREC')
    stream.end('ORDS\nmore')
    expect(await readNodeLine(stream, 64)).toBe('eyJh.x.y.z')
    expect(await rest(stream)).toBe('RECORDS\nmore')
  })

  it('a line that ends a chunk leaves nothing behind but what follows', async () => {
    const stream = new PassThrough()
    stream.write('line\n')
    const line = readNodeLine(stream, 64)
    expect(await line).toBe('line')
    stream.end('after')
    expect(await rest(stream)).toBe('after')
  })

  it('takes the line as sent: a CR or a space stays in it (and fails to open as a JWE, as on every adapter)', async () => {
    const stream = new PassThrough()
    stream.end(' eyJh.x.y.z\r\nrest')
    expect(await readNodeLine(stream, 64)).toBe(' eyJh.x.y.z\r')
  })

  it('a line trickled a byte at a time is read whole', async () => {
    const stream = new PassThrough()
    const line = readNodeLine(stream, 4096)
    for (const byte of 'a'.repeat(3000) + '\nR') stream.write(byte)
    stream.end()
    expect(await line).toBe('a'.repeat(3000))
    expect(await rest(stream)).toBe('R')
  })

  it.each([
    ['longer than the cap, without an LF', ['a'.repeat(40), 'a'.repeat(40)], 'payload_too_large'],
    ['longer than the cap before its LF, in one chunk', ['a'.repeat(65) + '\n'], 'payload_too_large'],
    ['ended without an LF', ['abc'], 'malformed_envelope'],
    ['empty', [], 'malformed_envelope'],
  ])('refuses a line %s with a plain pre-decryption code', async (_what, chunks, code) => {
    const stream = new PassThrough()
    for (const chunk of chunks) stream.write(chunk)
    stream.end()
    const error = await readNodeLine(stream, 64).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SealwireError)
    expect((error as SealwireError).code).toBe(code)
  })

  it('passes on the stream’s own error', async () => {
    const stream = new PassThrough()
    const pending = readNodeLine(stream, 64)
    stream.destroy(new Error('connection reset'))
    await expect(pending).rejects.toThrow('connection reset')
  })
})
