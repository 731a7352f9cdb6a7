import type { SealwireServer } from '@sealwire/server'
import { z } from 'zod'

/**
 * The app every adapter harness serves, written in each framework's own idiom:
 *
 * - `POST /echo`         → 200 `{ echo: body, claims }`
 * - `GET /items?…`       → 200 `{ claims }` (envelope in the header)
 * - `DELETE /items/:id`  → 204, no body
 * - `POST /typed`        → route schema `Transfer`; 201 `{ ok, to, amount }`
 * - `POST /boom`         → the handler throws an Error whose message is `SECRET`
 * - `GET|POST /headers`  → 200 `{ headers }`: the request headers as the handler sees them (lowercase names)
 * - the JWK Set at `server.jwksPath`
 */
export const Transfer = z.object({ to: z.string().min(1), amount: z.number().int().positive() })

/** Must never reach a client: the message of the error `/boom` throws. */
export const SECRET = 'secret-internal-detail-7f3a'

export interface RunningApp {
  /** Base URL over TLS (https://127.0.0.1:port). */
  secureUrl: string
  /** Base URL over plain HTTP (http://127.0.0.1:port), same app. */
  plainUrl: string
  close(): Promise<void>
}

export interface AdapterHarness {
  name: string
  /**
   * Whether the body streams into the engine, so that a Content-Length over the
   * cap is refused before the body is sent. False for Lambda: API Gateway
   * buffers the whole body into the event first.
   */
  streaming: boolean
  /**
   * Whether `trustedProxies` applies. False for Lambda: its only peer is AWS's
   * front door, which sets `x-forwarded-proto` itself (tested in lambda.test.ts).
   */
  trustsProxies: boolean
  /** Serves the app above, protected by `server`, on TLS and plain listeners. */
  start(server: SealwireServer): Promise<RunningApp>
}
