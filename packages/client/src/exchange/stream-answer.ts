import { SealwireError, openResponse, type CryptoBackend, type OpenedResponse, type ReplyContext } from '@sealwire/core'
import { openRecordBody, splitStreamHeader } from '@sealwire/core/stream'

/**
 * A streamed answer (`application/sealwire-stream`, docs/PROTOCOL.md §12),
 * opened: its header line checked as a v1 answer is (`jti`, `sts`, `cty`, the
 * sealed fields, a session) and for its stream salt, then a `Response` whose
 * body is the plaintext, released record by record as each authenticates.
 * Nothing is buffered beyond one record and what the transport holds, and
 * `maxResponseBytes` does not apply: the consumer reads at its own pace,
 * backpressure holding the rest on the wire. A record that fails, or an end
 * before the final record, errors the body with its code. Loaded with
 * `import()` on the first streamed answer, so clients that never get one do
 * not carry it. Returns the opened header and the plaintext stream; the
 * caller builds the `Response`.
 */
export async function openStreamAnswer(res: Response, reply: ReplyContext, backend: CryptoBackend, nullBodyStatuses: ReadonlySet<number>): Promise<{ opened: OpenedResponse; body: ReadableStream<Uint8Array> }> {
  if (res.body === null) throw new SealwireError('response_decryption_failed', { detail: 'A streamed answer without a body' })
  const { compact, records } = await splitStreamHeader(res.body)
  let opened
  try {
    opened = await openResponse(compact, { reply, status: res.status, backend, stream: true })
    // A status that cannot carry a body cannot carry a stream: no Sealwire server seals one so.
    if (nullBodyStatuses.has(opened.status)) throw new SealwireError('response_decryption_failed', { detail: 'A streamed answer under a status without a body' })
  } catch (error) {
    void records.cancel().catch(() => undefined)
    throw error
  }
  return { opened, body: openRecordBody(records, opened.key) }
}
