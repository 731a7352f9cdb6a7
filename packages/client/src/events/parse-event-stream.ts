/** One server-sent event, as the HTML standard dispatches it. */
export interface SealedEvent {
  /** The event type: the `event:` field, or `message`. */
  event: string
  /** The `data:` lines joined with `\n`. */
  data: string
  /** The last event ID at this event (the latest `id:` field so far, or ''). */
  id: string
  /** The reconnection time (ms) this event's block set with `retry:`, if it did. */
  retry?: number
}

const DIGITS = /^[0-9]+$/

/**
 * Parses a `text/event-stream` body by the HTML standard's rules
 * (§9.2.6 "Interpreting an event stream"): UTF-8 with a leading BOM dropped,
 * lines ended by CRLF, LF or CR (also across chunks), `:` comments, a field's
 * one leading space dropped, `data` lines joined with LF, `id` without NULL,
 * `retry` digits only; a blank line dispatches, an event without data is not
 * dispatched, and an unfinished event at the end is dropped. `cursor` holds
 * the last event ID, set at each blank line (even of a block without data),
 * as a reconnection's `Last-Event-ID` must be.
 */
export async function* parseEventStream(body: ReadableStream<Uint8Array>, cursor: { lastEventId: string; retry?: number }): AsyncGenerator<SealedEvent> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let pending = ''
  let id = cursor.lastEventId
  let data = ''
  let type = ''
  let retry: number | undefined
  // A CR ended the last chunk: an LF starting the next one belongs to it.
  let afterCr = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      let text = pending + decoder.decode(value, { stream: true })
      if (afterCr && text.startsWith('\n')) text = text.slice(1)
      afterCr = false
      let start = 0
      for (let at = 0; at < text.length; at += 1) {
        const char = text.charCodeAt(at)
        if (char !== 10 && char !== 13) continue
        const line = text.slice(start, at)
        if (char === 13) {
          if (at + 1 === text.length) afterCr = true
          else if (text.charCodeAt(at + 1) === 10) at += 1
        }
        start = at + 1
        if (line === '') {
          cursor.lastEventId = id
          if (data !== '') {
            const event: SealedEvent = { event: type === '' ? 'message' : type, data: data.slice(0, -1), id }
            if (retry !== undefined) event.retry = retry
            yield event
          }
          data = ''
          type = ''
          retry = undefined
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let fieldValue = colon === -1 ? '' : line.slice(colon + 1)
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1)
        if (field === 'data') data += `${fieldValue}\n`
        else if (field === 'event') type = fieldValue
        else if (field === 'id' && !fieldValue.includes('\u0000')) id = fieldValue
        // The reconnection time applies once parsed (HTML §9.2.6), in a block without data too.
        else if (field === 'retry' && DIGITS.test(fieldValue)) cursor.retry = retry = Number(fieldValue)
      }
      pending = text.slice(start)
    }
  } finally {
    void reader.cancel().catch(() => undefined)
  }
}
