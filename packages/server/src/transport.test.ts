import { describe, expect, it } from 'vitest'
import { FORWARDING_HEADERS, forwardedProto, isForwarded, inNetwork, isLoopback, parseIp, parseNetwork, transportAllowed, type TransportPolicy } from './transport.js'

const policy = (o: Partial<Omit<TransportPolicy, 'trustedProxies'>> & { trustedProxies?: string[] } = {}): TransportPolicy => ({
  requireTls: o.requireTls ?? true,
  allowInsecureLoopback: o.allowInsecureLoopback ?? false,
  trustedProxies: (o.trustedProxies ?? []).map((s) => parseNetwork(s)!),
})

describe('parseIp', () => {
  it('reads IPv4, IPv6 and the forms sockets report', () => {
    expect([...parseIp('192.0.2.7')!]).toEqual([192, 0, 2, 7])
    expect(parseIp('::1')).toHaveLength(16)
    expect([...parseIp('::ffff:127.0.0.1')!]).toEqual([127, 0, 0, 1]) // dual-stack socket view of IPv4
    expect([...parseIp('[::ffff:7f00:1]')!]).toEqual([127, 0, 0, 1])
    expect(parseIp('fe80::1%eth0')).toHaveLength(16)
    expect([...parseIp('0:0:0:0:0:0:0:1')!]).toEqual([...parseIp('::1')!])
  })
  it.each(['', '1.2.3', '256.1.1.1', '01.2.3.4', '1::2::3', '12345::', 'localhost', '1.2.3.4.5', ':::'])('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined()
  })
})

describe('networks', () => {
  it('matches prefixes, not just equal addresses', () => {
    expect(inNetwork(parseIp('10.9.8.7')!, parseNetwork('10.0.0.0/8')!)).toBe(true)
    expect(inNetwork(parseIp('11.0.0.1')!, parseNetwork('10.0.0.0/8')!)).toBe(false)
    expect(inNetwork(parseIp('172.16.5.4')!, parseNetwork('172.16.0.0/12')!)).toBe(true)
    expect(inNetwork(parseIp('172.32.0.1')!, parseNetwork('172.16.0.0/12')!)).toBe(false)
    expect(inNetwork(parseIp('fd12::1')!, parseNetwork('fd00::/8')!)).toBe(true)
    expect(inNetwork(parseIp('10.0.0.1')!, parseNetwork('::ffff:10.0.0.0/104')!)).toBe(true)
    expect(inNetwork(parseIp('192.0.2.7')!, parseNetwork('192.0.2.7')!)).toBe(true)
    expect(inNetwork(parseIp('192.0.2.8')!, parseNetwork('192.0.2.7')!)).toBe(false)
    expect(inNetwork(parseIp('::1')!, parseNetwork('0.0.0.0/0')!)).toBe(false) // families never mix
  })
  it.each(['10.0.0.0/33', '10.0.0.0/', 'fd00::/129', 'x/8'])('refuses %j', (text) => {
    expect(parseNetwork(text)).toBeUndefined()
  })
  it('knows loopback', () => {
    expect(isLoopback(parseIp('127.0.0.1')!)).toBe(true)
    expect(isLoopback(parseIp('127.255.0.9')!)).toBe(true)
    expect(isLoopback(parseIp('::1')!)).toBe(true)
    expect(isLoopback(parseIp('::ffff:127.0.0.1')!)).toBe(true)
    expect(isLoopback(parseIp('::2')!)).toBe(false)
    expect(isLoopback(parseIp('128.0.0.1')!)).toBe(false)
  })
})

describe('forwardedProto', () => {
  it('reads the rightmost value (the nearest proxy), trimmed and lowercased', () => {
    expect(forwardedProto('HTTPS')).toBe('https')
    expect(forwardedProto(' http , Https ')).toBe('https')
    expect(forwardedProto('https,http')).toBe('http') // a client-supplied "https" to the left counts for nothing
    expect(forwardedProto('https,')).toBe('')
    expect(forwardedProto(undefined)).toBeUndefined()
  })
})

describe('transportAllowed', () => {
  it('TLS passes; plain HTTP does not, even from loopback, by default', () => {
    expect(transportAllowed(policy(), true, '203.0.113.9', undefined)).toBe(true)
    expect(transportAllowed(policy(), false, '203.0.113.9', undefined)).toBe(false)
    expect(transportAllowed(policy(), false, '127.0.0.1', undefined)).toBe(false)
  })
  it('the loopback exemption covers loopback peers only', () => {
    const dev = policy({ allowInsecureLoopback: true })
    expect(transportAllowed(dev, false, '127.0.0.1', undefined)).toBe(true)
    expect(transportAllowed(dev, false, '::1', undefined)).toBe(true)
    expect(transportAllowed(dev, false, '192.168.1.2', undefined)).toBe(false)
    expect(transportAllowed(dev, false, undefined, undefined)).toBe(false)
  })
  it('X-Forwarded-Proto counts only from a trusted proxy (a spoof from anyone else is ignored)', () => {
    const p = policy({ trustedProxies: ['10.0.0.0/8'] })
    expect(transportAllowed(p, false, '10.1.2.3', 'https')).toBe(true)
    expect(transportAllowed(p, false, '203.0.113.9', 'https')).toBe(false)
    expect(transportAllowed(p, false, '10.1.2.3', 'http')).toBe(false)
    expect(transportAllowed(p, true, '10.1.2.3', 'http')).toBe(false) // the client used HTTP before the proxy
  })
  it('reads the rightmost X-Forwarded-Proto value: the one our proxy appended', () => {
    const p = policy({ trustedProxies: ['10.0.0.1'] })
    expect(transportAllowed(p, false, '10.0.0.1', 'http, https')).toBe(true)
    expect(transportAllowed(p, false, '10.0.0.1', 'https, http')).toBe(false) // client-supplied "https" first
  })
  it('a forwarded request from a loopback proxy is never exempt as loopback', () => {
    const p = policy({ trustedProxies: ['127.0.0.1'], allowInsecureLoopback: true })
    expect(transportAllowed(p, false, '127.0.0.1', 'http')).toBe(false)
  })
  it('a forwarded request from an untrusted loopback proxy is never exempt either (issue 9, item 12)', () => {
    const dev = policy({ allowInsecureLoopback: true })
    expect(transportAllowed(dev, false, '127.0.0.1', 'http')).toBe(false)
    expect(transportAllowed(dev, false, '127.0.0.1', 'https')).toBe(false) // an untrusted peer's word counts for nothing
    expect(transportAllowed(dev, false, '127.0.0.1', undefined, true)).toBe(false)
    expect(transportAllowed(dev, false, '127.0.0.1', undefined, false)).toBe(true)
  })
  it('isForwarded: any header only an intermediary adds', () => {
    for (const name of FORWARDING_HEADERS) expect(isForwarded((n) => (n === name ? 'x' : undefined)), name).toBe(true)
    expect(isForwarded(() => undefined)).toBe(false)
  })
  it('requireTls: false accepts everything', () => {
    expect(transportAllowed(policy({ requireTls: false }), false, '203.0.113.9', 'http')).toBe(true)
  })
})
