import type { SealwireServer } from '@sealwire/server'
import { type } from 'arktype'
import * as v from 'valibot'
import { z } from 'zod'
import { z as z3 } from 'zod3'

/**
 * The app every adapter harness serves, written in each framework's own idiom:
 *
 * - `POST /echo`         → 200 `{ echo: body, claims }`
 * - `GET /items?…`       → 200 `{ claims }` (envelope in the header)
 * - `DELETE /items/:id`  → 204, no body
 * - `POST /typed`        → route schema `Transfer`; 201 `{ ok, to, amount }`; the same with each
 *   schema library at `POST /typed-zod3`, `/typed-valibot` and `/typed-arktype`, and `POST /throwing`, whose
 *   schema throws on a non-JSON `amount` (see `TYPED_ROUTES`)
 * - `POST /boom`         → the handler throws an Error whose message is `SECRET`
 * - `GET|POST /headers`  → 200 `{ headers }`: the request headers as the handler sees them (lowercase names)
 * - the JWK Set at `server.jwksPath`
 */
export const Transfer = z.object({ to: z.string().min(1), amount: z.number().int().positive() })

/**
 * The routes with a route schema, all of them Standard Schemas with the same
 * output (so one handler serves them): zod 4, zod 3 (3.25, imported through
 * the `zod3` alias), Valibot, ArkType, and a zod schema that throws — a transform that
 * JSON-parses `amount`, the mistake issue 9 item 7 found answered in clear.
 */
export const TYPED_ROUTES = {
  '/typed': Transfer,
  '/typed-zod3': z3.object({ to: z3.string().min(1), amount: z3.number().int().positive() }),
  '/typed-valibot': v.object({ to: v.pipe(v.string(), v.minLength(1)), amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
  '/typed-arktype': type({ to: 'string > 0', amount: 'number.integer > 0' }),
  '/throwing': z.object({ to: z.string(), amount: z.string().transform((s): number => JSON.parse(s)) }),
} as const

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
