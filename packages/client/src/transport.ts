import { SealwireError } from '@sealwire/core'

/**
 * Loopback hosts, where plain `http:` never leaves the machine: `localhost`,
 * 127.0.0.0/8 and `[::1]`. The WHATWG URL parser has already normalized the
 * host (`127.1` and `0x7f.0.0.1` become `127.0.0.1`), so exact forms suffice.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * Refuses a URL the client would send envelopes or fetch keys over in the
 * clear. Sealwire layers over TLS, it does not replace it: over plain HTTP the
 * JWK Set could be swapped for an attacker's key, and every header and path
 * is readable. Loopback is allowed for development; `allowInsecureTransport`
 * is the explicit escape hatch (e.g. a service mesh that adds TLS outside).
 *
 * Throws `SealwireError('insecure_transport')`, the same code the server uses,
 * so callers branch on one code wherever the refusal happens.
 */
export function assertSecureTransport(url: URL, allowInsecure: boolean): void {
  if (url.protocol === 'https:') return
  if (url.protocol !== 'http:') throw new TypeError(`only http: and https: URLs are supported, got ${url.protocol}`)
  if (allowInsecure || isLoopbackHost(url.hostname)) return
  throw new SealwireError('insecure_transport', {
    detail: `Refusing plain http:// to ${url.host}: use https://, a loopback host, or set allowInsecureTransport`,
  })
}
