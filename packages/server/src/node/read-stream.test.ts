import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { readNodeStream } from './read-stream.js'

const streamOf = (...chunks: string[]) => {
  const stream = new PassThrough()
  for (const c of chunks) stream.write(Buffer.from(c))
  stream.end()
  return stream
}

describe('readNodeStream', () => {
  it('reads every chunk up to and including the cap, decoding characters split across chunks', async () => {
    expect(await readNodeStream(streamOf('ab', 'cd'), 4)).toBe('abcd')
    const euro = Buffer.from('€')
    const split = new PassThrough()
    split.write(euro.subarray(0, 1))
    split.end(euro.subarray(1))
    expect(await readNodeStream(split, 3)).toBe('€')
  })

  it('stops at the chunk that crosses the cap, pausing the stream without destroying it', async () => {
    const stream = new PassThrough()
    stream.write(Buffer.from('aaaa'))
    stream.write(Buffer.from('bbbb'))
    const read = readNodeStream(stream, 5)
    expect(await read).toBeUndefined()
    expect(stream.destroyed).toBe(false)
    expect(stream.isPaused()).toBe(true)
    expect(stream.listenerCount('data')).toBe(0)
  })

  it('rejects a stream that closes before its end, or errors', async () => {
    const closed = new PassThrough()
    closed.write('ab')
    const pending = readNodeStream(closed, 10)
    closed.destroy()
    await expect(pending).rejects.toThrow(/closed before its body ended/)
    const failed = new PassThrough()
    const failing = readNodeStream(failed, 10)
    failed.destroy(new Error('boom'))
    await expect(failing).rejects.toThrow('boom')
    await expect(readNodeStream(failed, 10)).rejects.toThrow('boom')
  })

  it('counts string chunks (an encoding set) as UTF-8 bytes, and reads a stream paused earlier', async () => {
    const stream = streamOf('€€')
    stream.setEncoding('utf8')
    stream.pause()
    expect(await readNodeStream(stream, 6)).toBe('€€')
    const over = streamOf('€€')
    over.setEncoding('utf8')
    expect(await readNodeStream(over, 5)).toBeUndefined()
  })
})

describe('readNodeStream after it stopped', () => {
  it('leaves a stream it stopped reading safe to error later (no uncaught exception)', async () => {
    const stream = new PassThrough()
    stream.write(Buffer.from('aaaaaaaa'))
    expect(await readNodeStream(stream, 4)).toBeUndefined()
    // Without a listener left in place this would be an uncaught 'error' and fail the run.
    stream.destroy(new Error('later failure'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stream.listenerCount('error')).toBe(1)
    expect(stream.destroyed).toBe(true)
  })
})
