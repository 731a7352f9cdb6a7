/**
 * Step 1 of the server checks: was the request carried over TLS?
 *
 * Sealwire layers over TLS, it does not replace it: TLS hides the metadata
 * (path, headers, sizes, the JWK Set fetch) and authenticates the server, so a
 * plain-HTTP request is refused (`insecure_transport`) unless the deployment
 * says otherwise. Behind a TLS-terminating proxy the connection to us is plain
 * HTTP; `X-Forwarded-Proto` then tells the client's scheme, but only a proxy
 * we trust may say so: anyone else could send `X-Forwarded-Proto: https` over
 * plain HTTP (header spoofing), so from an untrusted peer the header is ignored.
 */

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. IPv4-mapped IPv6 addresses are turned into IPv4. */
export type IpBytes = Uint8Array

/** A network: an address and a prefix length in bits (a single address has the full length). */
export interface IpNetwork {
  readonly bytes: IpBytes
  readonly bits: number
}

export interface TransportPolicy {
  readonly requireTls: boolean
  readonly allowInsecureLoopback: boolean
  readonly trustedProxies: readonly IpNetwork[]
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

function parseIpv4(text: string): IpBytes | undefined {
  if (!IPV4.test(text)) return undefined
  return Uint8Array.from(text.split('.'), Number)
}

function parseIpv6(text: string): IpBytes | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string): number[] | undefined => {
    if (half === '') return []
    const out: number[] = []
    const parts = half.split(':')
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      // An embedded IPv4 tail (`::ffff:192.0.2.1`) counts as two groups.
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part)
        if (v4 === undefined) return undefined
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined
        out.push(Number.parseInt(part, 16))
      }
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail]
  const bytes = new Uint8Array(16)
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8
    bytes[2 * i + 1] = g & 0xff
  })
  // IPv4-mapped (::ffff:a.b.c.d, RFC 4291 §2.5.5.2): Node reports IPv4 peers of a
  // dual-stack socket this way; compare them as the IPv4 address they are.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12)
  return bytes
}

/** Parses an IP address as a socket or a platform reports it (brackets and zone ids tolerated). */
export function parseIp(address: string): IpBytes | undefined {
  let text = address.trim()
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text)
}

/**
 * The peer address of a connection, parsed: one entry remembered, since a
 * keep-alive connection (or a proxy in front) brings the same peer request
 * after request. Never mutated by its readers.
 */
function peerAddress(peer: string | undefined): IpBytes | undefined {
  if (peer === undefined) return undefined
  if (peer !== lastPeer.text) lastPeer = { text: peer, bytes: parseIp(peer) }
  return lastPeer.bytes
}
let lastPeer: { text: string; bytes: IpBytes | undefined } = { text: '', bytes: undefined }

/** Parses `192.0.2.7`, `10.0.0.0/8`, `::1` or `fd00::/8`; undefined when it is neither. */
export function parseNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/')
  const bytes = parseIp(slash === -1 ? text : text.slice(0, slash))
  if (bytes === undefined) return undefined
  if (slash === -1) return { bytes, bits: bytes.length * 8 }
  const bitsText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bitsText)) return undefined
  // A mapped IPv6 network (::ffff:10.0.0.0/104) shrinks to its IPv4 prefix.
  const bits = Number(bitsText) - (bytes.length === 4 && text.includes(':') ? 96 : 0)
  if (bits < 0 || bits > bytes.length * 8) return undefined
  return { bytes, bits }
}

export function inNetwork(address: IpBytes, network: IpNetwork): boolean {
  if (address.length !== network.bytes.length) return false
  let bits = network.bits
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if ((address[i]! & mask) !== (network.bytes[i]! & mask)) return false
  }
  return true
}

/** 127.0.0.0/8 and ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
export function isLoopback(address: IpBytes): boolean {
  if (address.length === 4) return address[0] === 127
  return address.subarray(0, 15).every((b) => b === 0) && address[15] === 1
}

/**
 * The scheme an `X-Forwarded-Proto` header vouches for: its rightmost value,
 * trimmed and lowercased. The nearest proxy appends its own view last, so only
 * the rightmost value comes from the proxy in front of us; values to its left
 * came from further away, the client included, who may write `https` there
 * (header spoofing). Undefined when the header is absent.
 *
 * @example
 * forwardedProto('https, http') // 'http': the client's "https" counts for nothing
 */
export function forwardedProto(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  return header.slice(header.lastIndexOf(',') + 1).trim().toLowerCase()
}

/** Whether the peer is one of the trusted proxies. */
function fromTrustedProxy(policy: TransportPolicy, address: IpBytes | undefined): boolean {
  return address !== undefined && policy.trustedProxies.some((n) => inNetwork(address, n))
}

/**
 * The scheme the client used, by the same rule as step 1: a trusted proxy's
 * `X-Forwarded-Proto` (its rightmost value), else this connection's own TLS
 * state. Feeds the origin the `hto` binding is checked against.
 *
 * @example
 * requestScheme(policy, false, '10.0.0.2', 'https') // 'https' when 10.0.0.0/8 is trusted, else 'http'
 */
export function requestScheme(policy: TransportPolicy, secure: boolean, peer: string | undefined, forwardedProtoHeader: string | undefined): 'http' | 'https' {
  if (forwardedProtoHeader !== undefined && policy.trustedProxies.length > 0 && fromTrustedProxy(policy, peerAddress(peer))) {
    return forwardedProto(forwardedProtoHeader) === 'https' ? 'https' : 'http'
  }
  return secure ? 'https' : 'http'
}

/**
 * Request headers that only an intermediary adds: their presence means the
 * request was forwarded to us, whatever the peer address says
 * (RFC 7239 `Forwarded`, the de facto `X-Forwarded-*` and `X-Real-IP`,
 * RFC 9110 §7.6.3 `Via`).
 */
export const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'via'] as const

/**
 * Whether a request says it was forwarded by an intermediary.
 *
 * @example
 * isForwarded((name) => headers.get(name) ?? undefined)
 */
export function isForwarded(header: (name: string) => string | undefined): boolean {
  return FORWARDING_HEADERS.some((name) => header(name) !== undefined)
}

/**
 * Whether the request may proceed past step 1.
 *
 * @param secure the connection to this process is TLS
 * @param peer the connection's peer address
 * @param forwardedProtoHeader the `X-Forwarded-Proto` request header, if any
 * @param forwarded an intermediary forwarded the request (see `isForwarded`);
 *   default: whether `X-Forwarded-Proto` is present
 */
export function transportAllowed(
  policy: TransportPolicy,
  secure: boolean,
  peer: string | undefined,
  forwardedProtoHeader: string | undefined,
  forwarded: boolean = forwardedProtoHeader !== undefined,
): boolean {
  if (!policy.requireTls) return true
  // The peer is parsed only where a rule reads it: with no trusted proxy, a TLS
  // connection passes on its own (parsing an address costs a regular expression per request).
  const address = policy.trustedProxies.length === 0 && (secure || !policy.allowInsecureLoopback) ? undefined : peerAddress(peer)
  if (forwardedProtoHeader !== undefined && fromTrustedProxy(policy, address)) {
    // Only the rightmost value is our trusted proxy's own (see forwardedProto).
    return forwardedProto(forwardedProtoHeader) === 'https'
  }
  if (secure) return true
  // The loopback exemption is for local development: the client is this machine.
  // A forwarded request is never exempt, whoever forwarded it: a proxy on this
  // machine (a dev tunnel, a sidecar) may carry a remote client's plain HTTP,
  // and its `X-Forwarded-Proto: http` says so.
  return policy.allowInsecureLoopback && !forwarded && address !== undefined && isLoopback(address)
}

/**
 * The `detail` of an `insecure_transport` refusal: what a legitimate
 * deployment changes to get past it. Option names only, nothing about this
 * server's configuration.
 */
export const INSECURE_TRANSPORT_DETAIL =
  'This server accepts Sealwire requests over HTTPS only. Behind a TLS-terminating proxy or load balancer, list it in the server option trustedProxies; for local development over http on loopback, set allowInsecureLoopback: true.'

/**
 * The `detail` of a refusal that the server's options alone do not explain:
 * what is missing when `allowInsecureLoopback` is already on, or why the
 * platform's URL was not believed (`note`). Still names options and host
 * facts only. Undefined when `INSECURE_TRANSPORT_DETAIL` says it.
 */
export function insecureTransportDetail(policy: TransportPolicy, peer: string | undefined, forwarded: boolean, note: string | undefined): string | undefined {
  const https = 'This server accepts Sealwire requests over HTTPS only'
  if (note !== undefined) return `${https}: ${note}.`
  if (!policy.allowInsecureLoopback) return undefined
  if (peer === undefined) {
    return `${https}; plain http is accepted from loopback only, and this request has no known peer address: pass the adapter a peer (Deno: (request, info) => info.remoteAddr.hostname; Bun: (request, server) => server.requestIP(request)?.address).`
  }
  const address = parseIp(peer)
  if (forwarded && address !== undefined && isLoopback(address)) {
    return `${https}; plain http is accepted from loopback only when not forwarded, and this request carries forwarding headers (Forwarded, X-Forwarded-*, X-Real-IP, Via): if a TLS-terminating proxy sent it, list the proxy in trustedProxies.`
  }
  return `${https}; plain http is accepted from a loopback address only: use https.`
}

/**
 * The operator's side of the same refusal, logged once per server: a plain-HTTP
 * refusal is most often a deployment that has not set one of these options
 * yet, and a 403 the server is silent about is hard to trace. Only the peer
 * address (from the socket) is shown, never a header value (log injection).
 */
export function insecureTransportWarning(peer: string | undefined, forwarded: boolean, detail?: string): string {
  const from = peer === undefined ? 'a peer' : peer
  if (detail !== undefined) return `[sealwire] refused a plain-HTTP request from ${from} with 403 insecure_transport (requireTls is on). ${detail} Logged once per server.`
  const proxyHint = forwarded
    ? `it came through a proxy (forwarding headers), so if ${from} is your TLS-terminating proxy, add it (or its network) to trustedProxies`
    : 'if a TLS-terminating proxy forwards these requests, add its address (or network) to trustedProxies'
  return (
    `[sealwire] refused a plain-HTTP request from ${from} with 403 insecure_transport (requireTls is on): ${proxyHint}; ` +
    'for local development over http://127.0.0.1 or http://localhost, set allowInsecureLoopback: true. Logged once per server.'
  )
}
