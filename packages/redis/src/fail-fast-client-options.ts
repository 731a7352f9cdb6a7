/** Longest pause between reconnection attempts used when none is given, in milliseconds. */
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 2_000

/** Connect timeout used when none is given, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000

export interface FailFastTuning {
  /** Give up one connection attempt after this long. Default 2000 ms. */
  connectTimeoutMs?: number
  /** Back-off ceiling between reconnection attempts. Default 2000 ms. */
  maxReconnectDelayMs?: number
}

/** What `failFastClientOptions` sets on top of your options. */
export interface FailFastClientOptions {
  disableOfflineQueue: true
  socket: {
    connectTimeout: number
    reconnectStrategy: (retries: number) => number
  }
}

type SocketOf<T> = T extends { socket?: infer S } ? NonNullable<S> : {}

/**
 * node-redis `createClient` options under which a Redis outage is refused at
 * once instead of waited out, so requests answer 503 immediately:
 *
 * - `disableOfflineQueue: true`: while disconnected, node-redis otherwise
 *   queues every command until it reconnects — requests would hang, and the
 *   queue would grow without bound during an outage.
 * - `reconnectStrategy`: keeps reconnecting forever with a bounded back-off
 *   (50 ms doubling up to `maxReconnectDelayMs`). node-redis's default gives
 *   up for good after a socket timeout, leaving a closed client that refuses
 *   every request until the process restarts.
 * - `connectTimeout`: a bounded wait for each connection attempt.
 *
 * Your other options (url, TLS, credentials, ...) are kept; socket fields you
 * set yourself win over these defaults, except `disableOfflineQueue`, which
 * is the point of this function.
 *
 * @example
 * import { createClient } from 'redis'
 * const client = createClient(failFastClientOptions({ url: process.env.REDIS_URL }))
 * client.on('error', (err) => log.warn({ err }, 'redis'))
 * await client.connect()
 */
export function failFastClientOptions<T extends object = {}>(
  options: T = {} as T,
  tuning: FailFastTuning = {},
): Omit<T, 'socket' | 'disableOfflineQueue'> & { disableOfflineQueue: true; socket: SocketOf<T> & FailFastClientOptions['socket'] } {
  const connectTimeout = positiveInteger(tuning.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs')
  const maxDelay = positiveInteger(tuning.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS, 'maxReconnectDelayMs')
  const socket = {
    connectTimeout,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 16), maxDelay),
    ...(options as { socket?: object }).socket,
  }
  return { ...options, disableOfflineQueue: true, socket } as never
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer of milliseconds`)
  return value
}
