import type { ReplayObjectState, ReplayObjectStorage } from './bindings.js'
import { isCheckRequest } from './replay-object-protocol.js'

/** A record: `j:<key>` → its expiry in ms since the epoch. */
const RECORD = 'j:'
/** Its entry in the expiry index: `x:<expiry, 15 digits>:<key>` → key; listed in expiry order by the alarm. */
const BY_EXPIRY = 'x:'
/** Records erased per alarm run; the next run is scheduled at once while more are due. */
const SWEEP_BATCH = 500

const expiryIndex = (expiresAt: number, key: string) => `${BY_EXPIRY}${String(expiresAt).padStart(15, '0')}:${key}`

const json = (status: number, value: unknown) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })

/**
 * The Durable Object behind `DurableObjectReplayStore`: remembers jtis, each
 * until its expiry, and answers whether one is new — atomically.
 *
 * Atomic because a Durable Object runs one event at a time, and its storage
 * input gate holds other events back while a storage call is awaited: the
 * read of a key and the write that follows cannot interleave with another
 * request's, so of any number of concurrent checks of one jti, from any
 * number of Workers, exactly one is accepted.
 *
 * Expired records count as absent at once (compared with the object's clock,
 * to the millisecond); an alarm erases them afterwards, in expiry order
 * through an index, so storage holds about the last few minutes of jtis.
 *
 * Export it from your Worker's main module and bind it (see the README):
 *
 * @example
 * // src/index.ts
 * export { SealwireReplayObject } from '@sealwire/cloudflare'
 *
 * // wrangler.toml
 * // [[durable_objects.bindings]]
 * // name = "SEALWIRE_REPLAY"
 * // class_name = "SealwireReplayObject"
 * // [[migrations]]
 * // tag = "v1"
 * // new_sqlite_classes = ["SealwireReplayObject"]
 */
export class SealwireReplayObject {
  readonly #storage: ReplayObjectStorage

  constructor(state: ReplayObjectState, _env?: unknown) {
    this.#storage = state.storage
  }

  async fetch(request: Request): Promise<Response> {
    if (request.method === 'GET') return json(200, { stored: (await this.#storage.list({ prefix: RECORD })).size })
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' })
    let body: unknown
    try {
      body = await request.json()
    } catch {
      return json(400, { error: 'expected a JSON body' })
    }
    if (!isCheckRequest(body)) return json(400, { error: 'expected { key, expiresAt }' })
    const { key, expiresAt } = body
    const now = Date.now()
    // Already expired by this clock: nothing could be held, so nothing can be vouched for (fail closed).
    if (expiresAt <= now) return json(422, { error: `expiresAt is ${now - expiresAt} ms in the past by the object's clock` })

    const held = await this.#storage.get<number>(RECORD + key)
    if (held !== undefined && held > now) return json(200, { accepted: false })
    // One put of both entries: written together or not at all. A record
    // re-accepted after expiry leaves its old index entry behind; the sweep
    // of that entry checks the record's expiry before erasing anything.
    await this.#storage.put({ [RECORD + key]: expiresAt, [expiryIndex(expiresAt, key)]: key })
    const alarm = await this.#storage.getAlarm()
    if (alarm === null || alarm > expiresAt) await this.#storage.setAlarm(expiresAt)
    return json(200, { accepted: true })
  }

  /** Erases the records that have expired, oldest first, then waits for the next expiry. */
  async alarm(): Promise<void> {
    const now = Date.now()
    const due = await this.#storage.list<string>({ prefix: BY_EXPIRY, end: expiryIndex(now + 1, ''), limit: SWEEP_BATCH })
    const erase: string[] = []
    for (const [indexKey, key] of due) {
      erase.push(indexKey)
      const held = await this.#storage.get<number>(RECORD + key)
      if (held !== undefined && held <= now) erase.push(RECORD + key)
    }
    // delete() takes at most 128 keys a call.
    for (let i = 0; i < erase.length; i += 128) await this.#storage.delete(erase.slice(i, i + 128))
    const next = await this.#storage.list<string>({ prefix: BY_EXPIRY, limit: 1 })
    const [first] = next.keys()
    if (first !== undefined) await this.#storage.setAlarm(Math.max(Number(first.slice(BY_EXPIRY.length, BY_EXPIRY.length + 15)), now))
  }
}
