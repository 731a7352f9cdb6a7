import type { SealwireErrorCode } from '@sealwire/core'

/**
 * A body that reads itself, under a cap, where the platform has a cheaper way
 * than chunk-by-chunk iteration: a Node stream's own events, or a web
 * `Request` whose length its HTTP parser enforces. Resolves `undefined` when
 * the body holds more than `maxBytes` bytes (and stops reading there);
 * otherwise its bytes, or their text when it decoded them itself.
 */
export interface BodyReader {
  readUpTo(maxBytes: number): Promise<Uint8Array | string | undefined>
  /**
   * Reads the header line of a streamed upload (docs/PROTOCOL.md §12): the
   * bytes before the first `\n`, at most `maxBytes`, leaving every byte after
   * it unread in the stream for the body records. Throws
   * `payload_too_large` past `maxBytes`, `malformed_envelope` at the end without a `\n`.
   */
  readLine?(maxBytes: number): Promise<string>
}

/**
 * Bytes of a request body as the platform hands them over: already in memory
 * (Lambda), a web `ReadableStream` (Workers, Deno, Bun, Node's fetch), an
 * async iterable of chunks, or a `BodyReader` (Node's adapters, the fetch
 * adapter when Content-Length is known).
 */
export type BodySource = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | BodyReader

/**
 * An adapter's view of one HTTP request: what the engine needs, and nothing
 * else, so that Node's `IncomingMessage`, a web `Request` and a Lambda event
 * each convert to it without copying the body.
 */
export interface IncomingRequest {
  /** HTTP method as received. */
  readonly method: string
  /**
   * Origin-form target exactly as the client sent it (path plus query): the
   * envelope's `htu` must equal it (RFC 9112 §3.2.1).
   */
  readonly target: string
  /** A request header by lowercase name; several values joined with ", ". */
  header(name: string): string | undefined
  /** Whether the request carries a body (Content-Length > 0, Transfer-Encoding, or a platform body). */
  readonly hasBody: boolean
  /** The body, read at most once and only after the transport and media-type checks passed. */
  body(): BodySource | null
  /**
   * The request's authority: HTTP/2 `:authority`, else the `Host` header (RFC 9110 §7.2),
   * as received. The origin the `hto` binding is checked against (with `origins`).
   */
  readonly authority?: string | undefined
  /** Whether the connection that delivered the request to this process is TLS. */
  readonly secure: boolean
  /** Address of the connection's peer (the client, or a proxy in front of this process). */
  readonly peer?: string | undefined
  /**
   * Label of the route for security events: a route template where the
   * framework knows it (`/users/:id`), never the raw path (see `routeLabel`).
   */
  readonly route?: string | undefined
  /**
   * Whether an intermediary forwarded the request, for the loopback exemption.
   * Default: whether a forwarding header is present (see `isForwarded`). An
   * adapter whose platform front door is the only peer (Lambda) says `false`.
   */
  readonly forwarded?: boolean | undefined
  /**
   * Why the adapter could not take the connection's TLS state from what the
   * platform gave it (a URL built from forwarding headers): said in the
   * `insecure_transport` refusal and the operator's warning, so they name
   * what is missing.
   */
  readonly transportNote?: string | undefined
}

/**
 * A response the engine produced: a refusal (plain problem+json or sealed), a
 * sealed reply, or the JWK Set. Header names are lowercase.
 */
export interface OutgoingResponse {
  status: number
  headers: Record<string, string>
  body: string
  /**
   * Names of the handler's response fields sealed inside `body` (docs/PROTOCOL.md
   * §4.1): the adapter removes them from the clear response.
   */
  sealedHeaders?: readonly string[]
}

/**
 * A security event, for metrics and monitoring. Never carries plaintext, keys
 * or envelope contents: only the outcome, the key id and where it happened.
 */
export interface SealwireEvent {
  /** `accepted`: every check passed and the reply was sealed; `rejected`: a problem was answered. */
  type: 'accepted' | 'rejected'
  /** Why it was rejected. `internal_error` when the handler threw. */
  code?: SealwireErrorCode
  /** The key the envelope named, once the protected header was well formed. */
  kid?: string
  /**
   * Route template where the adapter knows it (`/users/:id`), otherwise `*`:
   * never the raw path, whose size and variety a client controls (a label of
   * unbounded cardinality breaks metrics, and a path may carry ids).
   */
  route: string
  /** Milliseconds from the start of Sealwire's checks to this event. */
  ms: number
  /** Address of the connection's peer, where the adapter knows it. */
  peer?: string
}
