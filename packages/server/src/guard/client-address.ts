import { inNetwork, parseIp, type IpNetwork } from '../transport.js'

/**
 * The address of the client behind our trusted proxies: the connection's
 * peer, unless that peer is a trusted proxy that says (`X-Forwarded-For`) whom
 * it forwarded for. The header is read from the right, skipping our own
 * proxies' hops: the rightmost address no trusted proxy owns is the one our
 * nearest proxy saw connect; anything left of it was written by the client and
 * could be anything (header spoofing), so it is never used.
 *
 * An IPv6 client is keyed by its /64 network: one host commonly owns a whole
 * /64 (RFC 4291 §2.5.4 interface ids), and could otherwise take a fresh
 * address — and a fresh budget — per request.
 *
 * @returns a stable key for the client, or undefined when the peer is unknown
 *   or is a trusted proxy that names no readable client hop.
 */
export function clientAddress(trustedProxies: readonly IpNetwork[], peer: string | undefined, forwardedFor: string | undefined): string | undefined {
  if (peer === undefined) return undefined
  let address = parseIp(peer)
  if (address === undefined) return undefined
  if (forwardedFor !== undefined) {
    const hops = forwardedFor.split(',')
    for (let i = hops.length - 1; i >= 0 && isTrusted(trustedProxies, address); i--) {
      const hop = parseHop(hops[i]!)
      if (hop === undefined) break
      address = hop
    }
  }
  // Still one of our proxies: it did not say (readably) whom it forwarded for.
  // Keying on the proxy would put every client behind it in one budget, which
  // one attacker could spend for all; such a request goes unguarded instead.
  if (isTrusted(trustedProxies, address)) return undefined
  return keyOf(address)
}

/**
 * One X-Forwarded-For hop: an address, or an address with a port as some
 * proxies write it (`192.0.2.1:5555`, `[2001:db8::1]:5555`, `[2001:db8::1]`).
 */
function parseHop(hop: string): Uint8Array | undefined {
  const text = hop.trim()
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text)
  if (bracketed !== null) return parseIp(bracketed[1]!)
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text)
  return parseIp(v4WithPort === null ? text : v4WithPort[1]!)
}

function isTrusted(trustedProxies: readonly IpNetwork[], address: Uint8Array): boolean {
  return trustedProxies.some((network) => inNetwork(address, network))
}

function keyOf(address: Uint8Array): string {
  if (address.length === 4) return address.join('.')
  const groups: string[] = []
  for (let i = 0; i < 8; i += 2) groups.push(((address[i]! << 8) | address[i + 1]!).toString(16))
  return `${groups.join(':')}::/64`
}
