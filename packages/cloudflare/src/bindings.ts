/**
 * The members of Cloudflare's runtime types that the store and its Durable
 * Object use, typed structurally so that neither `@cloudflare/workers-types`
 * nor `cloudflare:workers` is needed: the real `DurableObjectState` and
 * `DurableObjectNamespace` satisfy them as they are.
 */

/** The Durable Object's transactional storage (`state.storage`). */
export interface ReplayObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>
  put(entries: Record<string, unknown>): Promise<void>
  delete(keys: string[]): Promise<number>
  list<T = unknown>(options: { prefix?: string; start?: string; end?: string; limit?: number }): Promise<Map<string, T>>
  getAlarm(): Promise<number | null>
  setAlarm(scheduledTime: number): Promise<void>
}

/** What the runtime hands a Durable Object's constructor (`DurableObjectState`). */
export interface ReplayObjectState {
  readonly storage: ReplayObjectStorage
}

/** A stub of one Durable Object: requests reach its `fetch`. */
export interface ReplayObjectStub {
  fetch(input: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>
}

/** The namespace binding (`env.SEALWIRE_REPLAY`): objects by name. */
export interface ReplayObjectNamespace {
  idFromName(name: string): unknown
  get(id: never): ReplayObjectStub
}
