import { describe, expect, it } from 'vitest'
import { readLimited } from './read-body.js'

const bytes = (s: string) => new TextEncoder().encode(s)

function streamOf(chunks: Uint8Array[]) {
  let pulled = 0
  let cancelled = false
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks.length) return controller.close()
      controller.enqueue(chunks[pulled++]!)
    },
    cancel() {
      cancelled = true
    },
  })
  return { stream, pulled: () => pulled, cancelled: () => cancelled }
}

describe('readLimited', () => {
  it('reads up to and including the cap', async () => {
    expect(await readLimited(bytes('abcd'), 4)).toBe('abcd')
    expect(await readLimited(streamOf([bytes('ab'), bytes('cd')]).stream, 4)).toBe('abcd')
  })

  it('stops at the chunk that crosses the cap and cancels the stream', async () => {
    const s = streamOf([bytes('aa'), bytes('bb'), bytes('cc'), bytes('dd')])
    expect(await readLimited(s.stream, 5)).toBeUndefined()
    expect(s.pulled()).toBe(3)
    expect(s.cancelled()).toBe(true)
  })

  it('closes an async iterator early without reading the rest', async () => {
    let yielded = 0
    let returned = false
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => (yielded < 100 ? { done: false, value: bytes(String(yielded++ % 10).repeat(10)) } : { done: true, value: undefined }),
        return: async () => {
          returned = true
          return { done: true, value: undefined }
        },
      }),
    }
    expect(await readLimited(source, 25)).toBeUndefined()
    expect(yielded).toBe(3)
    expect(returned).toBe(true)
  })

  it('counts bytes, not characters, and decodes characters split across chunks', async () => {
    const euro = bytes('€') // 3 bytes
    expect(await readLimited(streamOf([euro.slice(0, 1), euro.slice(1)]).stream, 3)).toBe('€')
    expect(await readLimited(bytes('€€'), 5)).toBeUndefined()
  })

  it('accepts string chunks (a Node stream with an encoding set)', async () => {
    async function* gen() {
      yield 'ab'
      yield 'cd'
    }
    expect(await readLimited(gen(), 4)).toBe('abcd')
    expect(await readLimited(gen(), 3)).toBeUndefined()
  })
})
