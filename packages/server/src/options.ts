import { DEFAULT_MAX_AGE_SECONDS, DEFAULT_MAX_SKEW_SECONDS, DEFAULT_REPLAY_MARGIN_SECONDS, DEFAULT_SESSION_TTL_SECONDS, JWKS_PATH, MAX_SESSION_TTL_SECONDS, SIGNED_JWKS_PATH, normalizeOrigin, unsealableReason, type Clock, type JwkSet, type KeyRing, type ReplayStore, type SessionStore } from '@sealwire/core'
import * as z from 'zod/mini'
import type { GuardOptions } from './guard/behaviour-guard.js'
import type { GuardStore } from './guard/guard-store.js'
import type { LazyServerKeys } from './key-source.js'
import { parseNetwork, type IpNetwork } from './transport.js'
import type { SealwireEvent } from './types.js'

/**
 * An OpenTelemetry `MeterProvider` (`@opentelemetry/sdk-metrics`'s, or any
 * other), as far as the server uses it. Declared here, structurally, so that
 * these typings do not need `@opentelemetry/api`, an optional dependency.
 */
export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): unknown
}

/** Options of `createSealwireServer`. Parsed once, when the server is created. */
export interface SealwireServerOptions {
  /**
   * The server's private keys: a core `KeyRing` (share it to rotate keys at run
   * time), or a private JWK Set / array of private JWKs (imported once, the
   * first key primary). P-256 always, X25519 optionally.
   *
   * Or a function returning them (or a promise of them), called when the keys
   * are first needed — the first request, or `ready` — not when the server is
   * created: for hosts that import the module at build time, without the
   * run-time secrets (`next build`). Until it succeeds every sealed request
   * and the JWK Set are answered 500, the reason (its error, e.g. the unset
   * variable `keysFromEnv` names) on `console.error` once, and the next
   * request tries again.
   *
   * @example
   * createSealwireServer({ keys: () => keysFromEnv('SEALWIRE_PRIVATE_JWKS') })
   */
  keys: KeyRing | JwkSet<unknown> | readonly unknown[] | LazyServerKeys
  /**
   * Where accepted `jti`s are remembered. Default: a `MemoryReplayStore`, right
   * for one instance only; several instances need a shared store
   * (`@sealwire/redis`, `@sealwire/dynamodb`, or a Durable Object with
   * `@sealwire/cloudflare`).
   */
  replayStore?: ReplayStore
  /**
   * Declares that exactly one instance of this server runs (one long-lived
   * process: a VM, a container with one replica, `deno serve` on one host),
   * so that a `MemoryReplayStore` sees every request. The Lambda and fetch
   * adapters refuse a server with a memory store unless this is true: on
   * Lambda, Workers, Vercel or Deno Deploy instances multiply, and a request
   * replayed to a second instance would be accepted. Default false.
   */
  singleInstance?: boolean
  /** Oldest accepted `iat`, in seconds before now. Default 60. */
  maxAgeSeconds?: number
  /** Newest accepted `iat`, in seconds after now (client clocks run ahead). Default 5. */
  maxSkewSeconds?: number
  /**
   * Seconds the replay store holds each `jti` beyond the last instant its `iat`
   * is fresh. Instances sharing one store (Redis) must have clocks within this
   * much of each other, or a replay reopens (docs/PROTOCOL.md §6). Default 5.
   */
  replayMarginSeconds?: number
  /** Largest request body (the envelope), enforced while it streams in. Default 1 MiB. */
  maxBodyBytes?: number
  /** Refuse plain-HTTP requests with `insecure_transport`. Default true. */
  requireTls?: boolean
  /** With `requireTls`, still accept plain HTTP from a loopback peer (local development). Default false. */
  allowInsecureLoopback?: boolean
  /**
   * Addresses (or CIDR networks) of proxies whose `X-Forwarded-Proto` is
   * believed, e.g. a TLS-terminating load balancer. Default none.
   */
  trustedProxies?: readonly string[]
  /**
   * The origins this server answers at (`https://api.example.com`; scheme, host,
   * port when not the default). When set, every envelope must carry the origin
   * it was sent to (`hto`, which Sealwire clients always seal), one of these and
   * equal to the origin the request reached — its `Host` (or `:authority`) and
   * scheme (TLS, or a trusted proxy's `X-Forwarded-Proto`) — else
   * `binding_mismatch`: with one key ring behind several hosts or tenants, a
   * swapped `Host` cannot deliver one origin's envelope to another. Proxies in
   * front must pass the client's `Host` on. Default: not checked.
   */
  origins?: readonly string[]
  /**
   * The public JWK Set signed offline by your root key (`sealwire keys sign`), a
   * JWT served at `signedJwksPath` for clients that pin the root
   * (`createClient({ jwksRoot })`, docs/PROTOCOL.md §2.1). A string, or a function
   * called on each request for the set (re-read a file, so a re-signed set is
   * served without a restart); surrounding whitespace (the file's final newline)
   * is not served. Every key it lists must be held by `keys`, with the same key
   * material; its header must name the root as `sealwire keys sign` does (`alg`
   * ES256, `typ`, a public `jwk` whose thumbprint is the `kid`) and its signature
   * verify with that `jwk`; its dates must be ones clients accept. A string that
   * fails any of it but the dates refuses the start (`ready` rejects, naming the
   * fix); either form is checked each time it is served (a plain 500 instead, and
   * one `console.error` line per problem). Which root clients pin only they know.
   * Default: none (404 there).
   */
  signedJwks?: string | (() => string | Promise<string>)
  /** Path of the signed JWK Set. Default `/.well-known/sealwire/jwks.jwt`. */
  signedJwksPath?: string
  /** Path of the public JWK Set. Default `/.well-known/sealwire/jwks.json`. */
  jwksPath?: string
  /** `Cache-Control: max-age` of the JWK Set, in seconds; retire old keys at least this long. Default 300. */
  jwksMaxAgeSeconds?: number
  /**
   * Response headers never sent beside a sealed body, on top of
   * `PLAINTEXT_RESPONSE_HEADERS`. Headers travel in clear (TLS only): where a
   * `Location` or `Set-Cookie` could carry what must stay confidential, list
   * them here and put that data in the sealed body instead. Default none.
   *
   * @example
   * createSealwireServer({ keys, dropResponseHeaders: ['location', 'set-cookie'] })
   */
  dropResponseHeaders?: readonly string[]
  /**
   * Response header fields sealed with the answer for clients that announce
   * the sealed head (docs/PROTOCOL.md §4.1), on top of the defaults
   * (`DEFAULT_SEALED_RESPONSE_HEADERS`: `location`, `link`, `retry-after`,
   * `www-authenticate`, the rate-limit fields…). Sealed fields are removed
   * from the clear response. `Set-Cookie`, `Date`, `Vary`, `Cache-Control` and
   * CORS fields cannot be sealed: caches, browsers and CORS read them.
   *
   * @example
   * createSealwireServer({ keys, sealResponseHeaders: ['x-tenant-quota'] })
   */
  sealResponseHeaders?: readonly string[]
  /**
   * Request fields restored from a sealed head besides `authorization`,
   * `cookie` and `x-api-key` (docs/PROTOCOL.md §3.5): list the fields your
   * clients seal (`sealHeaders`), such as a tenant id or an idempotency key.
   * Any other sealed field is refused (`invalid_sealed_head`): a field a proxy
   * in front sets for you and strips from clients (a client certificate, a
   * user name) cannot be stripped from inside an envelope, so only the ones
   * you expect are let in.
   *
   * @example
   * createSealwireServer({ keys, sealedRequestHeaders: ['x-tenant-id', 'idempotency-key'] })
   */
  sealedRequestHeaders?: readonly string[]
  /** Receives one security event per request. Its exceptions are swallowed. */
  onEvent?: (event: SealwireEvent) => void
  /**
   * The behaviour guard: a budget of failed requests (malformed, unknown key,
   * stale, undecryptable, replayed) per client; past it the client is answered
   * 429 `too_many_failures` with `Retry-After`, before any key agreement, for a
   * cooling period. Off unless given; `{}` turns it on with its defaults
   * (20 failures a minute per client address, then 60 s of 429). `keyAgreements`
   * adds a budget of key agreements, valid requests included.
   */
  guard?: GuardOptions
  /**
   * Where the server's OpenTelemetry metrics go. Default: the global provider,
   * through the application's `@opentelemetry/api` (an optional peer
   * dependency), as registered when the server is created (no metrics if none
   * is, or without `@opentelemetry/api`).
   */
  meterProvider?: MeterProviderLike
  /**
   * Forward-secret sessions (docs/PROTOCOL.md §11): a client that offers one
   * gets a session with its first accepted request, and seals the next ones
   * under a key derived from it — one key agreement per session instead of
   * per request, and a static key stolen later opens none of them once the
   * session ended. Off unless given; `{}` turns it on with its defaults.
   * `store`: where sessions live (default a `MemorySessionStore`, for one
   * instance; several instances share a `RedisSessionStore`). Whoever reads the
   * store reads the secrets of live sessions: protect it like the keys.
   * `ttlSeconds`: how long a session lives, 10 to 3600, default 300.
   *
   * @example
   * createSealwireServer({ keys, sessions: { ttlSeconds: 600 } })
   */
  sessions?: { store?: SessionStore; ttlSeconds?: number }
  /**
   * Streamed uploads (docs/PROTOCOL.md §12): a request body sent as sealed
   * records, read by the handler as a stream instead of arriving whole in the
   * envelope. Off by default: a handler written for a JSON body would
   * otherwise read whatever length a sender streams, past `maxBodyBytes`.
   * Off, a streamed upload is refused as a server that predates streams
   * refuses it (a plain 415 `unsupported_media_type`). `true` turns them on
   * with a 1 GiB cap; `{ maxBytes }` sets the cap on the plaintext, past which
   * the body stream errors with `payload_too_large` (a sealed 413 when nothing
   * was answered yet). A route with a schema refuses them: a schema checks a
   * JSON body, which a stream is not.
   *
   * @example
   * createSealwireServer({ keys, streamedUploads: { maxBytes: 256 * 1024 * 1024 } })
   */
  streamedUploads?: boolean | { maxBytes?: number }
  /** Milliseconds since the epoch; for tests. Default `Date.now`. */
  clock?: Clock
}

/** The options after parsing: defaults applied, proxies parsed. */
export interface ResolvedOptions {
  keys: KeyRing | JwkSet<unknown> | readonly unknown[] | LazyServerKeys
  replayStore: ReplayStore | undefined
  singleInstance: boolean
  maxAgeSeconds: number
  maxSkewSeconds: number
  replayMarginSeconds: number
  maxBodyBytes: number
  requireTls: boolean
  allowInsecureLoopback: boolean
  trustedProxies: IpNetwork[]
  origins: string[] | undefined
  jwksPath: string
  signedJwks: string | (() => string | Promise<string>) | undefined
  signedJwksPath: string
  jwksMaxAgeSeconds: number
  dropResponseHeaders: string[]
  sealResponseHeaders: string[]
  sealedRequestHeaders: string[]
  onEvent: ((event: SealwireEvent) => void) | undefined
  guard: GuardOptions | undefined
  sessions: { store: SessionStore | undefined; ttlSeconds: number } | undefined
  /** The plaintext cap of a streamed upload; undefined when they are refused. */
  streamedUploads: { maxBytes: number } | undefined
  meterProvider: MeterProviderLike | undefined
  clock: Clock | undefined
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

// zod/mini, like core: the same checks as classic zod without its method surface
// and locales, so a Workers bundle of `@sealwire/server/fetch` stays small. Mini
// ships no English messages, so every check names its own.

/** Duck-typed, so a ring from another copy of @sealwire/core (ESM beside CJS) is accepted. */
const keyRingSchema = z.custom<KeyRing>((v) => isObject(v) && typeof v.get === 'function' && typeof v.publicJwks === 'function' && isObject(v.backend), 'must be a KeyRing')
/** Shape only: core validates every member and the curve when the keys are imported. */
const privateJwkSchema = z.looseObject({ kty: z.string(), crv: z.string(), d: z.string() })
const jwkListSchema = z.array(privateJwkSchema).check(z.minLength(1, 'needs at least one private JWK'))

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `must be ${what}`)
const isA = <T>(what: string, test: (v: Record<string, unknown>) => boolean) => z.custom<T>((v) => isObject(v) && test(v), `must be ${what}`)
/** An integer in [min, max], with a default. */
const int = (min: number, max: number) => z.int({ error: `must be an integer from ${min} to ${max}` }).check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`))
const withDefault = <S extends z.ZodMiniType>(schema: S, value: z.output<S>) => z._default(schema, value as never)
const stringsTo = <T>(check: (s: string) => boolean, message: string, map: (s: string) => T) =>
  z.pipe(
    z.array(z.string().check(z.refine(check, message))),
    z.transform((list: string[]) => list.map(map)),
  )

const optionsSchema = z.strictObject(
  {
    keys: z.union([keyRingSchema, z.strictObject({ keys: jwkListSchema }), jwkListSchema, fn<LazyServerKeys>('a function')], {
      error: 'must be a KeyRing, a private JWK Set ({ keys: [...] }), an array of private JWKs, or a function returning one of them',
    }),
    replayStore: z.optional(isA<ReplayStore>('a ReplayStore', (v) => typeof v.checkAndSet === 'function')),
    singleInstance: withDefault(z.boolean({ error: 'must be a boolean' }), false),
    maxAgeSeconds: withDefault(int(1, 86_400), DEFAULT_MAX_AGE_SECONDS),
    maxSkewSeconds: withDefault(int(0, 3_600), DEFAULT_MAX_SKEW_SECONDS),
    replayMarginSeconds: withDefault(int(0, 3_600), DEFAULT_REPLAY_MARGIN_SECONDS),
    maxBodyBytes: withDefault(int(1, 2 ** 31), 1024 * 1024),
    requireTls: withDefault(z.boolean({ error: 'must be a boolean' }), true),
    allowInsecureLoopback: withDefault(z.boolean({ error: 'must be a boolean' }), false),
    trustedProxies: withDefault(
      stringsTo((s) => parseNetwork(s) !== undefined, 'must be an IP address or CIDR network', (s) => parseNetwork(s)!),
      [],
    ),
    origins: z.optional(
      z.pipe(
        z
          .array(z.string().check(z.refine((s) => normalizeOrigin(s) !== undefined, 'must be an http(s) origin: scheme://host[:port], no path')))
          .check(z.minLength(1, 'needs at least one origin (omit the option to not check origins)')),
        z.transform((list: string[]) => list.map((s) => normalizeOrigin(s)!)),
      ),
    ),
    jwksPath: withDefault(z.string({ error: 'must be a string' }).check(z.regex(/^\/[^?#\s]*$/, 'must be a path starting with "/"')), JWKS_PATH),
    signedJwks: z.optional(
      z.union([z.string().check(z.regex(/^\s*[\w-]+\.[\w-]+\.[\w-]+\s*$/, 'must be a JWS compact serialization (sealwire keys sign)')), fn<() => string | Promise<string>>('a function')], {
        error: 'must be a signed JWK Set (a JWS from `sealwire keys sign`) or a function returning one',
      }),
    ),
    signedJwksPath: withDefault(z.string({ error: 'must be a string' }).check(z.regex(/^\/[^?#\s]*$/, 'must be a path starting with "/"')), SIGNED_JWKS_PATH),
    jwksMaxAgeSeconds: withDefault(int(0, 31_536_000), 300),
    dropResponseHeaders: withDefault(
      stringsTo((n) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n), 'must be a header name (RFC 9110 §5.1)', (n) => n.toLowerCase()),
      [],
    ),
    sealResponseHeaders: withDefault(
      stringsTo((n) => unsealableReason(n.toLowerCase(), 'response') === undefined, 'must be a header name that can be sealed (not set-cookie, date, vary, cache-control, CORS or framing fields)', (n) => n.toLowerCase()),
      [],
    ),
    sealedRequestHeaders: withDefault(
      stringsTo((n) => unsealableReason(n.toLowerCase(), 'request') === undefined, 'must be a header name that can be sealed (not framing, hop-by-hop, forwarding, x-forwarded-*, proxy-*, conditional or Sealwire fields)', (n) => n.toLowerCase()),
      [],
    ),
    onEvent: z.optional(fn<(event: SealwireEvent) => void>('a function')),
    guard: z.optional(
      z.strictObject({
        store: z.optional(isA<GuardStore>('a GuardStore', (v) => typeof v.blockedFor === 'function' && typeof v.recordFailure === 'function')),
        identify: z.optional(fn<NonNullable<GuardOptions['identify']>>('a function')),
        timeoutMs: z.optional(int(1, 10_000)),
        keyAgreements: z.optional(isA<GuardStore>('a GuardStore', (v) => typeof v.blockedFor === 'function' && typeof v.recordFailure === 'function')),
      }),
    ),
    sessions: z.optional(
      z.strictObject({
        store: z.optional(isA<SessionStore>('a SessionStore', (v) => typeof v.get === 'function' && typeof v.set === 'function' && typeof v.revokeAll === 'function')),
        ttlSeconds: withDefault(int(10, MAX_SESSION_TTL_SECONDS), DEFAULT_SESSION_TTL_SECONDS),
      }),
    ),
    streamedUploads: withDefault(z.union([z.boolean(), z.strictObject({ maxBytes: z.optional(int(1, Number.MAX_SAFE_INTEGER)) })], { error: 'must be a boolean or { maxBytes }' }), false),
    meterProvider: z.optional(isA<MeterProviderLike>('a MeterProvider', (v) => typeof v.getMeter === 'function')),
    clock: z.optional(fn<Clock>('a function returning milliseconds')),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown option(s): ${issue.keys.join(', ')}` : issue.code === 'invalid_type' ? 'must be an object' : undefined) },
)

/** Default cap of a streamed upload's plaintext: large files, not an unbounded body. */
const DEFAULT_STREAMED_UPLOAD_BYTES = 1024 * 1024 * 1024

function streamedUploadsOf(option: boolean | { maxBytes?: number | undefined }): ResolvedOptions['streamedUploads'] {
  if (option === false) return undefined
  return { maxBytes: option === true ? DEFAULT_STREAMED_UPLOAD_BYTES : (option.maxBytes ?? DEFAULT_STREAMED_UPLOAD_BYTES) }
}

/**
 * Validates the options once. Misuse is the caller's bug, not bad input:
 * it throws `TypeError` naming each wrong option (jose's convention).
 */
export function resolveOptions(options: SealwireServerOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'options'}: ${i.message}`)
    throw new TypeError(`createSealwireServer: invalid options: ${issues.join('; ')}`)
  }
  const o = parsed.data
  if (o.signedJwksPath === o.jwksPath) throw new TypeError('createSealwireServer: invalid options: signedJwksPath: must differ from jwksPath')
  return { ...o, replayStore: o.replayStore, origins: o.origins, signedJwks: o.signedJwks, onEvent: o.onEvent, guard: o.guard as GuardOptions | undefined, sessions: o.sessions === undefined ? undefined : { store: o.sessions.store, ttlSeconds: o.sessions.ttlSeconds }, streamedUploads: streamedUploadsOf(o.streamedUploads), meterProvider: o.meterProvider, clock: o.clock }
}
