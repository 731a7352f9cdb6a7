/**
 * Step 1 for a web `Request`: what its URL may say about the connection.
 *
 * A runtime's own HTTP server (Workers, Deno, Bun, @hono/node-server) builds
 * `request.url` from the connection: `https:` means TLS. Some hosts build it
 * from forwarding headers instead — Next.js takes the scheme from
 * `X-Forwarded-Proto`, whoever sent it — and there an `https:` URL is a
 * client's word: `curl -H 'X-Forwarded-Proto: https' http://…` would pass a
 * TLS check (a TLS-enforcement bypass). So the URL's scheme counts only where
 * nothing but the connection could have made it; otherwise https is believed
 * from a trusted proxy's `X-Forwarded-Proto` alone (with a known `peer`), as
 * the Node adapters do.
 */
import { isLoopback, parseIp } from './transport.js'

interface RuntimeGlobals {
  Bun?: unknown
  Deno?: unknown
  navigator?: { userAgent?: unknown }
}

/** Runtimes whose HTTP server builds `request.url` from the connection and never reads a forwarding header. */
function runtimeBuildsUrlFromConnection(): boolean {
  const g = globalThis as RuntimeGlobals
  return g.Bun !== undefined || g.Deno !== undefined || g.navigator?.userAgent === 'Cloudflare-Workers'
}

/** A Next.js `NextRequest` (route handlers, middleware): the URL was built by Next's router. */
export const isNextRequest = (request: Request): boolean => 'nextUrl' in request

/** The forwarding headers Next.js's server sets on every request it did not receive them with. */
const NEXT_OWN_FORWARDING = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto'] as const

/** Forwarding headers Next.js never adds: any of them means something else forwarded the request. */
const OTHER_FORWARDING = ['forwarded', 'via', 'x-real-ip'] as const

/** What step 1 takes from a web Request (see `incomingFromRequest`). */
export interface RequestUrlTransport {
  /** The connection to this process is TLS, as far as the URL can tell. */
  readonly secure: boolean
  /** The peer address the host itself vouches for, where the app passed none. */
  readonly peer: string | undefined
  /** Whether an intermediary forwarded the request; undefined: decided by the forwarding headers. */
  readonly forwarded: boolean | undefined
  /** Headers the engine must not read: Next.js's own forwarding headers, which say nothing a client did. */
  readonly hidden: readonly string[]
  /** For the operator and the `insecure_transport` detail: why the URL's scheme was not believed. */
  readonly note: string | undefined
}

/** The variable where Next.js's server (`next start`, `next dev`, a standalone build) records the origin it listens at. */
const NEXT_ORIGIN_VARIABLE = '__NEXT_PRIVATE_ORIGIN'

/**
 * Where Next.js listens when that is a loopback address only: the origin it
 * records on start-up names the `-H` address it was given (`localhost`, never
 * an IP, when it listens on every interface), and a socket bound to 127/8 or
 * ::1 is reached from this machine only (RFC 1122 §3.2.1.3). Not the request
 * URL's host: Next writes `localhost` there whatever it listens on. Read from
 * the process, not from anything a client sends.
 */
function nextLoopbackListener(): { address: string; port: string } | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const origin = env?.[NEXT_ORIGIN_VARIABLE]
  if (origin === undefined || !URL.canParse(origin)) return undefined
  const url = new URL(origin)
  const address = url.hostname.replace(/^\[|\]$/g, '')
  const bytes = parseIp(address)
  return url.protocol === 'http:' && bytes !== undefined && isLoopback(bytes) ? { address, port: url.port === '' ? '80' : url.port } : undefined
}

/**
 * Whether the request's forwarding headers are exactly those Next.js itself
 * added (it keeps a client's own): the scheme `http`, this machine as the
 * client, the Host and the listening port, and nothing any other proxy adds.
 * A proxy or tunnel on this machine that forwards a remote client names that
 * client in `X-Forwarded-For`, or its scheme, host or port differs, so its
 * request is still "forwarded" and never exempt as local.
 */
function onlyNextOwnForwarding(request: Request, port: string): boolean {
  const headers = request.headers
  if (OTHER_FORWARDING.some((name) => headers.has(name))) return false
  const client = headers.get('x-forwarded-for')
  const clientBytes = client === null ? undefined : parseIp(client)
  return (
    headers.get('x-forwarded-proto') === 'http' &&
    clientBytes !== undefined &&
    isLoopback(clientBytes) &&
    headers.get('x-forwarded-host') === headers.get('host') &&
    headers.get('x-forwarded-port') === port
  )
}

const NEXT_NOTE =
  'Next.js builds the request URL from X-Forwarded-Proto, so its scheme is not taken as TLS: behind your TLS-terminating proxy, list the proxy in trustedProxies and pass withSealwire a peer (Next.js does not tell the peer address); ' +
  'for local development over http, start Next.js on a loopback address (next dev -H 127.0.0.1) with allowInsecureLoopback: true'

const FORWARDED_URL_NOTE =
  'the request carries X-Forwarded-Proto or Forwarded and this host may have built its URL from them, so the URL scheme is not taken as TLS: list your TLS-terminating proxy in trustedProxies and pass a peer'

/**
 * What step 1 may take from a web Request's URL on the host that built it.
 *
 * @param url `request.url`, parsed
 * @param peer the address the app said the connection comes from, if any
 */
export function requestUrlTransport(request: Request, url: URL, peer: string | undefined): RequestUrlTransport {
  const https = url.protocol === 'https:'
  if (isNextRequest(request)) {
    const listener = nextLoopbackListener()
    const own = listener !== undefined && onlyNextOwnForwarding(request, listener.port)
    return { secure: false, peer: peer ?? listener?.address, forwarded: own ? false : undefined, hidden: own ? NEXT_OWN_FORWARDING : [], note: NEXT_NOTE }
  }
  const forwardable = request.headers.has('x-forwarded-proto') || request.headers.has('forwarded')
  const secure = https && (!forwardable || runtimeBuildsUrlFromConnection())
  return { secure, peer, forwarded: undefined, hidden: [], note: https && !secure ? FORWARDED_URL_NOTE : undefined }
}
