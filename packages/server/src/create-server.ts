import {
  DEFAULT_SEALED_REQUEST_HEADERS,
  DEFAULT_SEALED_RESPONSE_HEADERS,
  KeyRing,
  MemoryReplayStore,
  NO_VALID_SIGNED_JWKS_DETAIL,
  MemorySessionStore,
  SealwireError,
  decodeProtectedHeader,
  isSealwireError,
  openRequest,
  originFromRequest,
  replyContextOf,
  systemClock,
  type InferOutput,
  type ReplayStore,
  type SessionStore,
  type StandardSchemaV1,
} from '@sealwire/core'
import { locateEnvelope, type EnvelopeLocation } from './envelope.js'
import { emitEvent, monotonicNow, routeLabel } from './events.js'
import { Exchange, type SealwireExchange } from './exchange.js'
import { BehaviourGuard } from './guard/behaviour-guard.js'
import { handleFetch, type FetchHandleOptions } from './handle-fetch.js'
import { keySource } from './key-source.js'
import { EngineMetrics } from './metrics.js'
import { resolveOptions, type SealwireServerOptions } from './options.js'
import { establishOffered } from './sessions.js'
import { isUnsealedPreflight } from './preflight.js'
import { readLimited } from './read-body.js'
import { readStreamHeader, streamPlacementMismatch, streamedUploadWithSchema } from './read-stream-header.js'
import { requestAuthorities } from './request-authorities.js'
import { signedSetProblem } from './signed-set.js'
import { PLAINTEXT_RESPONSE_HEADERS, httpDate, plainProblem, sealedProblem } from './responses.js'
import { boundMethod } from './method-override.js'
import { INSECURE_TRANSPORT_DETAIL, insecureTransportDetail, insecureTransportWarning, isForwarded, requestScheme, transportAllowed, type TransportPolicy } from './transport.js'
import type { BodySource, IncomingRequest, OutgoingResponse, SealwireEvent } from './types.js'

/**
 * Per-route options: the schema the decrypted body must match (step 11), from
 * any Standard Schema library (zod 3.24+ and 4, Valibot, ArkType).
 */
export interface RouteOptions<S extends StandardSchemaV1 = StandardSchemaV1<unknown>> {
  schema?: S | undefined
}

/** The outcome of the server checks: an accepted exchange, or the refusal to send as is. */
export type OpenOutcome<T> =
  | {
      ok: true
      exchange: SealwireExchange<T>
      /**
       * A streamed upload's body records (docs/PROTOCOL.md §12), where the body was a web
       * stream; a Node adapter reads them from the request itself. Open them with `exchange.bodyKey()`.
       */
      records?: ReadableStream<Uint8Array> | undefined
    }
  | { ok: false; response: OutgoingResponse }

/** A request that passed steps 1–2 (and the up-front part of 3); opaque, for adapters. */
export interface CheckedRequest {
  readonly incoming: IncomingRequest
  readonly location: EnvelopeLocation
  /** @internal */ readonly started: number
}

export type PrecheckOutcome = { ok: true; checked: CheckedRequest } | { ok: false; response: OutgoingResponse }
export type ReadOutcome = { ok: true; envelope: string; records?: ReadableStream<Uint8Array> | undefined } | { ok: false; response: OutgoingResponse }

/**
 * The Sealwire server engine: runs the checks of wire protocol v1 in order and
 * seals every answer to an encrypted request. Fetch-first: `handle` takes a
 * web `Request` and returns a `Response`; the lower-level methods let a
 * framework adapter run the same steps at the points of its own lifecycle.
 */
export interface SealwireServer {
  /** Path of the public JWK Set. */
  readonly jwksPath: string
  /** Path of the signed JWK Set, when `signedJwks` is configured. */
  readonly signedJwksPath: string | undefined
  /**
   * Whether a behaviour guard keys requests by client address (configured
   * without `identify`): an adapter that cannot tell the peer address would
   * leave every request unguarded, and refuses to be built.
   */
  readonly guardsByAddress: boolean
  /** Largest accepted body, for adapters that read the body themselves. */
  readonly maxBodyBytes: number
  /**
   * Largest plaintext of a streamed upload (`streamedUploads`), for adapters
   * that open its records themselves; 0 when streamed uploads are refused.
   */
  readonly maxUploadBytes: number
  /**
   * Lowercase names of the handler's response headers an adapter removes from
   * a sealed response: `PLAINTEXT_RESPONSE_HEADERS` and the `dropResponseHeaders` option.
   */
  readonly droppedResponseHeaders: readonly string[]
  /**
   * True when accepted `jti`s live in this instance's memory only (a
   * `MemoryReplayStore`, the default) and `singleInstance` was not declared:
   * a request replayed to another instance would pass. Adapters for platforms
   * that run many instances (Lambda, fetch) refuse such a server.
   */
  readonly instanceLocalReplayStore: boolean
  /**
   * Settles once the keys are imported (and the metrics bound to the global
   * MeterProvider, when one is used); rejects (with a `TypeError`) when a key
   * is invalid. Await it at start-up to fail fast; left unhandled, a bad key
   * ends a Node process with that error (an unhandled rejection). With a keys
   * function, reading `ready` is what loads them (each read retries a failed
   * load): await it where the secrets exist, never at build time.
   */
  readonly ready: Promise<void>
  /** Whether a request is a GET or HEAD of the JWK Set path (or of the signed set's, when one is configured). */
  isJwksRequest(method: string, target: string): boolean
  /**
   * The public JWK Set response (`Cache-Control: public, max-age`); given the
   * request target, the signed set when that is what it asks for.
   */
  jwks(target?: string): Promise<OutgoingResponse>
  /** Steps 1–11: the whole check sequence for one request. */
  open<S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(incoming: IncomingRequest, route?: RouteOptions<S>): Promise<OpenOutcome<InferOutput<S>>>
  /** Steps 1, 2 and the up-front part of 3 (Content-Length, header size): synchronous, reads nothing. */
  precheck(incoming: IncomingRequest): PrecheckOutcome
  /** Step 3 while streaming: reads a body-form envelope up to `maxBodyBytes`. */
  readEnvelope(checked: CheckedRequest, source: BodySource | null): Promise<ReadOutcome>
  /** Steps 4–11 (core's `openRequest`) on an envelope that passed steps 1–3. */
  openEnvelope<S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(checked: CheckedRequest, envelope: string, route?: RouteOptions<S>): Promise<OpenOutcome<InferOutput<S>>>
  /** Answers a checked request with a plain problem (a refusal an adapter found itself, e.g. body too large). */
  refuse(checked: CheckedRequest, error: SealwireError): OutgoingResponse
  /**
   * The generic plain 500 `internal_error` problem, dated by the server's
   * clock: an adapter's last resort when sealing a reply itself failed (a
   * status outside 100–599…), so that it never falls back to plaintext.
   *
   * @example
   * let sealed: OutgoingResponse
   * try {
   *   sealed = await exchange.reply({ status, contentType, body })
   * } catch {
   *   sealed = server.internalError()
   * }
   */
  internalError(): OutgoingResponse
  /**
   * Fetch-first: checks a web `Request`, runs the handler with the accepted
   * exchange, and seals its `Response` (or a 500 for a throw).
   */
  handle<S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
    request: Request,
    /** `upload`: a streamed upload's plaintext (docs/PROTOCOL.md §12), for the handler's Request body. */
    handler: (exchange: SealwireExchange<InferOutput<S>>, upload?: ReadableStream<Uint8Array>) => Response | Promise<Response>,
    options?: FetchHandleOptions<S>,
  ): Promise<Response>
  /**
   * Ends every session at once (docs/PROTOCOL.md §11): their next requests
   * answer `unknown_session`, and their clients fall back to a key agreement
   * (which may start a new session). Resolves at once without `sessions`.
   */
  revokeSessions(): Promise<void>
}

const pathOf = (target: string): string => {
  const q = target.indexOf('?')
  return q === -1 ? target : target.slice(0, q)
}

/** kid of a refused envelope, for the event; only a short printable one (no log injection). */
function kidOf(envelope: string | undefined): string | undefined {
  if (envelope === undefined) return undefined
  try {
    const kid = decodeProtectedHeader(envelope).kid
    return typeof kid === 'string' && /^[\x21-\x7e]{1,256}$/.test(kid) ? kid : undefined
  } catch {
    return undefined
  }
}

/**
 * Creates the Sealwire server engine. Options are validated here, once
 * (`TypeError` on misuse); keys given as JWKs are imported once, now.
 *
 * @example
 * import { createSealwireServer, keysFromEnv } from '@sealwire/server'
 *
 * const sealwire = createSealwireServer({
 *   keys: keysFromEnv('SEALWIRE_PRIVATE_JWKS'),        // { keys: [p256, x25519] }, or keysFromFile(path)
 *   trustedProxies: ['10.0.0.0/8'],                     // your TLS-terminating load balancer
 * })
 * await sealwire.ready // fail fast on a bad key
 */
export function createSealwireServer(options: SealwireServerOptions): SealwireServer {
  const o = resolveOptions(options)
  const clock = o.clock ?? systemClock
  const replayStore: ReplayStore = o.replayStore ?? new MemoryReplayStore({ clock })
  const instanceLocalReplayStore = replayStore instanceof MemoryReplayStore && !o.singleInstance
  const policy: TransportPolicy = { requireTls: o.requireTls, allowInsecureLoopback: o.allowInsecureLoopback, trustedProxies: o.trustedProxies }
  const guard = o.guard === undefined ? undefined : new BehaviourGuard(o.guard, o.trustedProxies)
  const meters = new EngineMetrics(o.meterProvider, replayStore)
  // Sessions (§11): off unless configured. Without them, a request within a session answers unknown_session.
  const sessionStore: SessionStore | undefined = o.sessions === undefined ? undefined : (o.sessions.store ?? new MemorySessionStore({ clock }))
  // Every event also feeds the outcome counters; the app's listener still gets each one.
  const appOnEvent = o.onEvent
  const onEvent = (e: SealwireEvent): void => {
    meters.outcome(e)
    emitEvent(appOnEvent, e)
  }
  const onSealed = (ms: number): void => meters.sealed(ms)
  // Neither listening (the default: no meter provider, no onEvent), no event is built at all.
  // Asked per request: the instruments of a global provider exist only once it has loaded.
  const listening = (): boolean => appOnEvent !== undefined || meters.recording

  // Keys are imported once (here, or on first use for a keys function); requests only look them up by kid.
  const keys = keySource(o.keys)
  /** The ring, or undefined when the keys failed to load: a plain 500 then (a lazy source said why on the console). */
  const loadedKeys = async (): Promise<KeyRing | undefined> => keys.current ?? keys.get().catch(() => undefined)
  const warnedSignedSet = new Set<string>()
  /** Once per problem, to the operator; the set is public, so naming its kid leaks nothing. */
  const warnSignedSet = (problem: string): void => {
    if (warnedSignedSet.has(problem) || warnedSignedSet.size >= 16) return
    warnedSignedSet.add(problem)
    console.error(`Sealwire: not serving the signed JWK Set: ${problem}`)
  }
  // A fixed signed set is checked at start-up, and every set each time it is served. A wrong
  // set (a key not held) refuses the start; one whose dates are wrong (expired) only stops
  // being served: a restart must not take down the API for clients that never fetch it.
  // The last set text whose signature verified: re-checking it on every fetch would cost a verification each.
  let verifiedSignedSet: string | undefined
  const signedSetCheck = async (jwt: string, r: KeyRing) => {
    const problem = await signedSetProblem(jwt, r, clock(), verifiedSignedSet)
    if (problem === undefined || problem.dated) verifiedSignedSet = jwt
    return problem
  }
  const checkKeys = () =>
    keys.get().then(async (r) => {
      // Trimmed: the file `sealwire keys sign --out` writes ends in a newline.
      const problem = typeof o.signedJwks === 'string' ? await signedSetCheck(o.signedJwks.trim(), r) : undefined
      if (problem?.dated === true) warnSignedSet(problem.message)
      else if (problem !== undefined) throw new TypeError(`signedJwks: ${problem.message}`)
    })
  // Eager keys are checked now, at start-up; lazy ones when `ready` is first awaited or a request needs them.
  // The global MeterProvider is looked up asynchronously (the API is an optional
  // peer, loaded on demand): after `ready`, every request is measured.
  const withMeters = (keysChecked: Promise<void>) => Promise.all([keysChecked, meters.loaded]).then(() => {})
  const eagerReady = typeof o.keys === 'function' ? undefined : withMeters(checkKeys())
  const signedPath = o.signedJwks === undefined ? undefined : o.signedJwksPath
  const sealResponseHeaders: ReadonlySet<string> = new Set([...DEFAULT_SEALED_RESPONSE_HEADERS, ...o.sealResponseHeaders])
  const sealedRequestHeaders: ReadonlySet<string> = new Set([...DEFAULT_SEALED_REQUEST_HEADERS, ...o.sealedRequestHeaders])
  let warnedInsecure = false

  const event = (checked: { incoming: IncomingRequest; started: number }, code: SealwireEvent['code'], kid?: string): void => {
    if (!listening()) return
    const e: SealwireEvent = { type: 'rejected', code, route: routeLabel(checked.incoming.route), ms: monotonicNow() - checked.started }
    if (kid !== undefined) e.kid = kid
    if (checked.incoming.peer !== undefined) e.peer = checked.incoming.peer
    onEvent(e)
  }

  /**
   * The origin the request reached, for the `hto` binding: the scheme step 1
   * believed and the request's authority. Undefined — so step 9 refuses it —
   * when any other authority the application could read (`Host` beside
   * `:authority`, `X-Forwarded-Host`, `Forwarded: host=`) names another origin,
   * whatever the framework's trust-proxy setting: the handler must never see a
   * host other than the one the envelope is bound to.
   */
  const originOf = (incoming: IncomingRequest): string | undefined => {
    const scheme = requestScheme(policy, incoming.secure, incoming.peer, incoming.header('x-forwarded-proto'))
    const origin = originFromRequest(scheme, incoming.authority ?? incoming.header('host'))
    return origin !== undefined && requestAuthorities(incoming).every((authority) => originFromRequest(scheme, authority) === origin) ? origin : undefined
  }

  /**
   * The JWK Set or the signed set: public keys only, so cached publicly and readable from any origin (browser
   * clients fetch them cross-origin), `Date` included: clients learn their clock offset from it before sealing.
   */
  const publicKeysAnswer = (contentType: string, body: string): OutgoingResponse => ({
    status: 200,
    headers: {
      'content-type': contentType,
      'cache-control': `public, max-age=${o.jwksMaxAgeSeconds}`,
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'Date',
      date: httpDate(clock()),
    },
    body,
  })

  const refuse = (checked: { incoming: IncomingRequest; started: number }, error: SealwireError, kid?: string): OutgoingResponse => {
    event(checked, error.code, kid)
    return plainProblem(error, clock())
  }

  const server: SealwireServer = {
    jwksPath: o.jwksPath,
    signedJwksPath: signedPath,
    guardsByAddress: guard?.byAddress === true,
    maxBodyBytes: o.maxBodyBytes,
    maxUploadBytes: o.streamedUploads?.maxBytes ?? 0,
    droppedResponseHeaders: [...new Set([...PLAINTEXT_RESPONSE_HEADERS, ...o.dropResponseHeaders])],
    instanceLocalReplayStore,
    get ready() {
      return eagerReady ?? withMeters(checkKeys())
    },

    isJwksRequest(method, target) {
      const path = pathOf(target)
      return (method === 'GET' || method === 'HEAD') && (path === o.jwksPath || path === signedPath)
    },

    async jwks(target) {
      if (target !== undefined && signedPath !== undefined && pathOf(target) === signedPath) {
        const signed = (typeof o.signedJwks === 'function' ? await o.signedJwks() : o.signedJwks!).trim()
        // Checked as served: a set can expire while the server runs, or a rotation remove a key it lists.
        const r = await loadedKeys()
        if (r === undefined) return plainProblem(new SealwireError('internal_error'), clock())
        const problem = await signedSetCheck(signed, r)
        if (problem !== undefined) {
          warnSignedSet(problem.message)
          // The reason goes to the operator's log above; the client learns only that there is no valid set.
          return plainProblem(new SealwireError('internal_error', { detail: NO_VALID_SIGNED_JWKS_DETAIL }), clock())
        }
        // A JWT (RFC 7519 §10.3.1): the public JWK Set signed by the offline root.
        return publicKeysAnswer('application/jwt', signed)
      }
      const r = await loadedKeys()
      if (r === undefined) return plainProblem(new SealwireError('internal_error'), clock())
      // RFC 7517 §8.5 registers the JWK Set media type.
      return publicKeysAnswer('application/jwk-set+json', JSON.stringify(r.publicJwks()))
    },

    precheck(incoming) {
      const started = monotonicNow()
      const checked = { incoming, started }
      // 1. Transport.
      const forwarded = incoming.forwarded ?? isForwarded(incoming.header)
      if (!transportAllowed(policy, incoming.secure, incoming.peer, incoming.header('x-forwarded-proto'), forwarded)) {
        const detail = insecureTransportDetail(policy, incoming.peer, forwarded, incoming.transportNote)
        if (!warnedInsecure) {
          warnedInsecure = true
          console.warn(insecureTransportWarning(incoming.peer, forwarded, detail))
        }
        return { ok: false, response: refuse(checked, new SealwireError('insecure_transport', { detail: detail ?? INSECURE_TRANSPORT_DETAIL })) }
      }
      // A CORS preflight that nothing in front answered: it carries no envelope, and a
      // general handler (Express app.all, a Koa catch-all) must not run for it, side
      // effects included. 204 with no Access-Control-* header of ours: the browser then
      // does not send the cross-origin request, unless a CORS layer in front allowed it.
      if (isUnsealedPreflight(incoming)) {
        return { ok: false, response: { status: 204, headers: { date: httpDate(clock()), 'cache-control': 'no-store' }, body: '' } }
      }
      // 2. Envelope location and media type; 3. the size known before reading.
      try {
        return { ok: true, checked: { incoming, started, location: locateEnvelope(incoming, o.maxBodyBytes, o.streamedUploads !== undefined) } }
      } catch (err) {
        if (!isSealwireError(err)) throw err
        return { ok: false, response: refuse(checked, err) }
      }
    },

    readEnvelope(checked, source) {
      if (checked.location.placement === 'header') return Promise.resolve({ ok: true, envelope: checked.location.envelope })
      if (checked.location.placement === 'stream') {
        return readStreamHeader(source).then(
          (read): ReadOutcome => ({ ok: true, ...read }),
          (err: unknown): ReadOutcome => {
            if (!isSealwireError(err)) throw err
            return { ok: false, response: refuse(checked, err) }
          },
        )
      }
      if (source === null) return Promise.resolve({ ok: true, envelope: '' })
      // A promise chain, not an async function: one promise less per request on the hot path.
      return readLimited(source, o.maxBodyBytes).then((text): ReadOutcome => (text === undefined ? { ok: false, response: refuse(checked, new SealwireError('payload_too_large')) } : { ok: true, envelope: text.trim() }))
    },

    async openEnvelope(checked, envelope, route) {
      const { incoming } = checked
      // Synchronous once imported: an `await` of a value already there still costs a turn of the microtask queue.
      const keyRing = keys.current ?? (await loadedKeys())
      // The keys failed to import (see `ready`): nothing can be opened.
      if (keyRing === undefined) return { ok: false, response: refuse(checked, new SealwireError('internal_error')) }
      // The behaviour guard answers a client past its budget before step 4:
      // before any key agreement, which is the cost it exists to cap.
      const peer = guard?.identify(incoming)
      if (peer !== undefined) {
        const blockedMs = await guard!.blockedFor(peer)
        if (blockedMs > 0) {
          const response = refuse(checked, new SealwireError('too_many_failures'))
          // RFC 9110 §10.2.3, in whole seconds, rounded up so a client never retries early.
          response.headers['retry-after'] = String(Math.ceil(blockedMs / 1000))
          return { ok: false, response }
        }
      }
      const openStarted = monotonicNow()
      const streamed = checked.location.placement === 'stream'
      try {
        // 4–11, in order, by core.
        const opened = await openRequest(envelope, {
          keyRing,
          replayStore,
          // The request line's method, or a method-override header's (refused at step 9).
          request: { method: boundMethod(incoming), target: incoming.target, origin: o.origins === undefined ? undefined : originOf(incoming) },
          origins: o.origins,
          maxAgeSeconds: o.maxAgeSeconds,
          maxSkewSeconds: o.maxSkewSeconds,
          replayMarginSeconds: o.replayMarginSeconds,
          clock,
          hasClearHeader: (name) => incoming.header(name) !== undefined,
          sealedRequestHeaders,
          sessionStore,
          // A streamed upload's envelope carries `body: null`: no schema may judge the body by it.
          schema: streamed ? undefined : route?.schema,
        })
        // A body stream salt exactly when the body came as records (§12): the media type is
        // not authenticated, the salt is; a mismatch is a request altered on the way.
        // Either refusal comes after the replay store took the jti: harmless, as a client never
        // resends a stream (its body was consumed), and documented in §12.2.
        const misplaced = (opened.bodyStream !== undefined) !== streamed ? streamPlacementMismatch(opened.bodyStream !== undefined) : undefined
        const error = misplaced ?? (streamed && route?.schema !== undefined ? streamedUploadWithSchema() : undefined)
        if (error !== undefined) {
          event(checked, error.code, opened.claims.kid)
          return { ok: false, response: await sealedProblem(opened.reply, error, clock()) }
        }
        if (meters.recording) meters.opened(monotonicNow() - openStarted, 'accepted')
        // A request within a session cost no key agreement: it is not counted against that budget.
        if (peer !== undefined && opened.claims.sid === undefined) guard!.recordKeyAgreement(peer)
        // An accepted request that offered a session gets one, announced in every answer sealed for it.
        const reply = sessionStore === undefined ? opened.reply : await establishOffered(opened, { store: sessionStore, backend: keyRing.backend, ttlSeconds: o.sessions!.ttlSeconds, clock })
        const context = { onEvent: listening() ? onEvent : undefined, onSealed: meters.recording ? onSealed : undefined, clock, started: checked.started, route: routeLabel(incoming.route), peer: incoming.peer, sealResponseHeaders, bodyStreamSalt: opened.bodyStream }
        return { ok: true, exchange: new Exchange(opened.body, opened.claims, reply, context, opened.head) }
      } catch (err) {
        const error = isSealwireError(err) ? err : new SealwireError('internal_error', { cause: err })
        if (meters.recording) meters.opened(monotonicNow() - openStarted, error.code)
        const reply = replyContextOf(err)
        if (peer !== undefined) {
          guard!.recordFailure(peer, error.code)
          // Decrypted (a reply key is known), or failed at decryption: the ECDH was computed.
          if (reply !== undefined || error.code === 'decryption_failed') guard!.recordKeyAgreement(peer)
        }
        // After decryption the requester holds a response key: answer sealed, so
        // even a refusal is confidential and bound to this request.
        if (reply !== undefined) {
          event(checked, error.code, kidOf(envelope))
          return { ok: false, response: await sealedProblem(reply, error, clock()) }
        }
        return { ok: false, response: refuse(checked, error, kidOf(envelope)) }
      }
    },

    refuse(checked, error) {
      return refuse(checked, error)
    },

    internalError() {
      return plainProblem(new SealwireError('internal_error'), clock())
    },

    async open(incoming, route) {
      const pre = server.precheck(incoming)
      if (!pre.ok) return pre
      const read = await server.readEnvelope(pre.checked, pre.checked.location.placement === 'header' ? null : incoming.body())
      if (!read.ok) return read
      const opened = await server.openEnvelope(pre.checked, read.envelope, route)
      if (read.records === undefined) return opened
      // Refused: the records will never be read.
      if (!opened.ok) void read.records.cancel().catch(() => undefined)
      return opened.ok ? { ...opened, records: read.records } : opened
    },

    handle(request, handler, options) {
      return handleFetch(server, request, handler, options)
    },

    async revokeSessions() {
      await sessionStore?.revokeAll()
    },
  }
  return server
}
