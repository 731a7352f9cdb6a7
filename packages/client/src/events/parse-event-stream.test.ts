/** The text/event-stream parser against the HTML standard's rules (§9.2.6), however the bytes are cut. */
import { describe, expect, it } from 'vitest'
import { parseEventStream, type SealedEvent } from './parse-event-stream.js'

async function parse(text: string, step: number, cursor: { lastEventId: string; retry?: number } = { lastEventId: '' }): Promise<SealedEvent[]> {
  const bytes = new TextEncoder().encode(text)
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += step) controller.enqueue(bytes.slice(at, at + step))
      controller.close()
    },
  })
  const events: SealedEvent[] = []
  for await (const event of parseEventStream(body, cursor)) events.push(event)
  return events
}

const STREAM = '\uFEFFdata: one\n\n: a comment\nevent: add\ndata:  two\ndata\r\nid: 7\r\n\r\nretry: 250\ndata:three\rid\r\rdata: lost at the end'

describe('parseEventStream', () => {
  it('takes a retry: in a block without data at once, as servers send it first (retry: 60000 then a blank line)', async () => {
    const cursor: { lastEventId: string; retry?: number } = { lastEventId: '' }
    expect(await parse('retry: 60000\n\n', 4, cursor)).toEqual([])
    expect(cursor.retry).toBe(60000)
  })

  it('dispatches per the HTML rules: BOM, CR/LF/CRLF, comments, one leading space, joined data, id, retry, unfinished event dropped', async () => {
    for (const step of [1, 2, 3, 7, STREAM.length]) {
      const cursor = { lastEventId: 'start' }
      expect(await parse(STREAM, step, cursor), `step ${step}`).toEqual([
        { event: 'message', data: 'one', id: 'start' },
        { event: 'add', data: ' two\n', id: '7' },
        { event: 'message', data: 'three', id: '', retry: 250 },
      ])
      expect(cursor.lastEventId).toBe('')
    }
  })

  it('an id-only block moves the last event ID without dispatching; an id with NULL and a non-digit retry are ignored', async () => {
    const cursor = { lastEventId: '' }
    expect(await parse('id: 5\n\nid: a\u0000b\nretry: 1s\ndata: x\n\n', 1, cursor)).toEqual([{ event: 'message', data: 'x', id: '5' }])
    expect(cursor.lastEventId).toBe('5')
  })

  it('decodes UTF-8 split across chunks', async () => {
    expect(await parse('data: h\u00e9llo \u{1F600}\n\n', 1)).toEqual([{ event: 'message', data: 'h\u00e9llo \u{1F600}', id: '' }])
  })
})
