import { createHook } from 'node:async_hooks'
import { describe, expect, it } from 'vitest'
import { readHandlerBody } from './fetch-stream.js'

const encoder = new TextEncoder()

/** A body whose chunks come `gapMs` apart, as a handler still at work produces them. */
function produced(chunks: string[], gapMs: number): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    async pull(controller) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, gapMs))
      if (i === chunks.length) return controller.close()
      controller.enqueue(encoder.encode(chunks[i++]!))
    },
  })
}

const kindOf = async (response: Response) => {
  const body = await readHandlerBody(response)
  return 'whole' in body ? 'whole' : 'stream'
}

describe('readHandlerBody: which handler Responses stream', () => {
  it('a body complete in one chunk is one envelope: Response.json, a string, an empty body', async () => {
    expect(await kindOf(Response.json({ ok: true }))).toBe('whole')
    expect(await kindOf(new Response('text'))).toBe('whole')
    expect(await kindOf(new Response(null))).toBe('whole')
    const whole = await readHandlerBody(Response.json({ a: 1 }))
    expect('whole' in whole && new TextDecoder().decode(whole.whole)).toBe('{"a":1}')
  })

  it('a body complete in one chunk is told apart without a timer (the fetch adapter is on a request-rate budget)', async () => {
    let timers = 0
    const hook = createHook({ init: (_id, type) => void (type === 'Timeout' && timers++) }).enable()
    try {
      for (const response of [Response.json({ ok: true }), new Response('text'), new Response(encoder.encode('bytes'))]) expect('whole' in (await readHandlerBody(response))).toBe(true)
    } finally {
      hook.disable()
    }
    expect(timers).toBe(0)
  })

  it('server-sent events and JSON lines stream, whatever their chunks', async () => {
    expect(await kindOf(new Response('data: 1\n\n', { headers: { 'content-type': 'text/event-stream' } }))).toBe('stream')
    expect(await kindOf(new Response('{}\n', { headers: { 'content-type': 'application/x-ndjson; charset=utf-8' } }))).toBe('stream')
  })

  it('a body whose second chunk follows at once (a download) or has not come a tick later (a producer at work) streams', async () => {
    expect(await kindOf(new Response(produced(['a', 'b', 'c'], 0)))).toBe('stream')
    const slow = await readHandlerBody(new Response(produced(['first', 'second'], 50)))
    expect('stream' in slow).toBe(true)
    if (!('stream' in slow)) return
    // Nothing read is lost: the first chunk is kept, the pending read is handed over.
    expect(slow.stream.first.map((c) => new TextDecoder().decode(c))).toEqual(['first'])
    expect(new TextDecoder().decode((await slow.stream.next!).value)).toBe('second')
  })
})
