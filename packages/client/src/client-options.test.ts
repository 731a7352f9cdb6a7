/**
 * `createClient` option checks (written without zod, for the bundle size):
 * each problem named by its option, all of them in one TypeError.
 */
import { describe, expect, it } from 'vitest'
import { parseClientOptions, type ClientOptions } from './client-options.js'

const parse = (options: Record<string, unknown>) => () => parseClientOptions(options as unknown as ClientOptions)
const base = { baseUrl: 'https://api.example.com' }

describe('parseClientOptions', () => {
  it.each<[Record<string, unknown>, string]>([
    [{}, 'createClient: baseUrl: must be a string or a URL'],
    [{ baseUrl: 42 }, 'createClient: baseUrl: must be a string or a URL'],
    [{ ...base, keys: [] }, 'createClient: keys: must hold at least one key'],
    [{ ...base, keys: { keys: [] } }, 'createClient: keys.keys: must hold at least one key'],
    [{ ...base, keys: 'jwks.json' }, 'createClient: keys: must be a JWK Set or an array of JWKs'],
    [{ ...base, keys: null }, 'createClient: keys: must be a JWK Set or an array of JWKs'],
    [{ ...base, jwksUrl: {} }, 'createClient: jwksUrl: must be a string or a URL'],
    [{ ...base, fetch: 'fetch' }, 'createClient: fetch: fetch must be a function'],
    [{ ...base, clock: 1 }, 'createClient: clock: clock must be a function'],
    [{ ...base, allowInsecureTransport: 'yes' }, 'createClient: allowInsecureTransport: must be a boolean'],
    [{ ...base, crypto: 'openssl' }, "createClient: crypto: must be 'auto', 'jose' or 'noble'"],
    [{ ...base, maxClockCorrectionSeconds: Number.POSITIVE_INFINITY }, 'createClient: maxClockCorrectionSeconds: must be a finite number of seconds'],
    [{ ...base, maxClockCorrectionSeconds: Number.NaN }, 'createClient: maxClockCorrectionSeconds: must be a finite number of seconds'],
    [{ ...base, maxClockCorrectionSeconds: -1 }, 'createClient: maxClockCorrectionSeconds: must be >= 0'],
    [{ ...base, maxResponseBytes: 1.5 }, 'createClient: maxResponseBytes: must be an integer number of bytes'],
    [{ ...base, maxResponseBytes: 2 ** 53 }, 'createClient: maxResponseBytes: must be an integer number of bytes'],
    [{ ...base, maxResponseBytes: 0 }, 'createClient: maxResponseBytes: must be > 0'],
    [{ ...base, keys: [{}], jwksUrl: 'https://api.example.com/k' }, 'createClient: pass keys (pinned) or jwksUrl (discovery), not both'],
    [{ ...base, jwksRoot: 'too-short' }, 'createClient: jwksRoot: must be the root public JWK (EC P-256) or its 43-character RFC 7638 thumbprint'],
    [{ ...base, jwksRoot: { kty: 'OKP', crv: 'X25519', x: 'a' } }, 'createClient: jwksRoot: must be the root public JWK (EC P-256) or its 43-character RFC 7638 thumbprint'],
    [{ ...base, jwksRoot: null }, 'createClient: jwksRoot: must be the root public JWK (EC P-256) or its 43-character RFC 7638 thumbprint'],
    [{ ...base, jwksRoot: { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' } }, 'createClient: jwksRoot: is the PRIVATE root key (it has "d"): pin the public JWK (`sealwire keys root` prints it) or its thumbprint, and keep the private key offline'],
    [{ ...base, keys: [{}], jwksRoot: 'A'.repeat(43) }, 'createClient: pass keys (pinned) or jwksRoot (signed key sets), not both'],
    [{ ...base, sealHeaders: ['x-tenant-id', 'Host'] }, 'createClient: sealHeaders: "Host" cannot be sealed: it is read by the hops or describes the message on the wire; remove it from the list'],
    [{ ...base, sealHeaders: ['content-length'] }, 'createClient: sealHeaders: "content-length" cannot be sealed: it is read by the hops or describes the message on the wire; remove it from the list'],
    [{ ...base, sealHeaders: ['x tenant'] }, 'createClient: sealHeaders: "x tenant" cannot be sealed: it is not a lowercase HTTP field name; remove it from the list'],
    [{ ...base, sealHeaders: 'x-tenant-id' }, 'createClient: sealHeaders: must be an array of header field names'],
    [{ baseUrl: 1, crypto: 'x' }, "createClient: baseUrl: must be a string or a URL; crypto: must be 'auto', 'jose' or 'noble'"],
  ])('%j → %s', (options, message) => {
    expect(parse(options)).toThrow(new TypeError(message))
  })

  it('accepts every option at its bounds, and leaves absent ones to their defaults', () => {
    const o = parseClientOptions({ ...base, keys: { keys: [{}] }, maxClockCorrectionSeconds: 0, maxResponseBytes: 1, allowInsecureTransport: false, crypto: 'noble' })
    expect(o).toMatchObject({ keys: [{}], maxClockCorrectionMs: 0, maxResponseBytes: 1, crypto: 'noble' })
    expect(parseClientOptions(base)).toMatchObject({ crypto: 'auto', maxClockCorrectionMs: 900_000, maxResponseBytes: 16 * 1024 * 1024 })
    expect(parseClientOptions({ ...base, baseUrl: new URL('https://api.example.com/v1/') }).jwksUrl.href).toBe('https://api.example.com/v1/.well-known/sealwire/jwks.json')
    // A pinned root switches discovery to the signed set (docs/PROTOCOL.md §2.1).
    expect(parseClientOptions({ ...base, jwksRoot: 'A'.repeat(43) })).toMatchObject({ jwksRoot: 'A'.repeat(43) })
    expect(parseClientOptions({ ...base, jwksRoot: 'A'.repeat(43) }).jwksUrl.href).toBe('https://api.example.com/.well-known/sealwire/jwks.jwt')
  })
})
