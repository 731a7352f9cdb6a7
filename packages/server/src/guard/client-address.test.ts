import { describe, expect, it } from 'vitest'
import { parseNetwork } from '../transport.js'
import { clientAddress } from './client-address.js'

const proxies = ['10.0.0.0/8', '127.0.0.1'].map((n) => parseNetwork(n)!)

describe('clientAddress', () => {
  it('is the peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress(proxies, '192.0.2.7', '203.0.113.1')).toBe('192.0.2.7')
    expect(clientAddress([], '::ffff:192.0.2.7', undefined)).toBe('192.0.2.7')
  })

  it('walks X-Forwarded-For from the right past trusted hops only', () => {
    expect(clientAddress(proxies, '10.1.1.1', '203.0.113.1')).toBe('203.0.113.1')
    expect(clientAddress(proxies, '10.1.1.1', '198.51.100.9, 203.0.113.1, 10.2.2.2')).toBe('203.0.113.1')
    // Garbage where our proxy's hop should be: the proxy itself is all we know.
    expect(clientAddress(proxies, '10.1.1.1', 'not-an-ip')).toBe('10.1.1.1')
    expect(clientAddress(proxies, '10.1.1.1', undefined)).toBe('10.1.1.1')
  })

  it('keys IPv6 clients by their /64', () => {
    expect(clientAddress([], '2001:db8:1:2:aaaa::1', undefined)).toBe('2001:db8:1:2::/64')
    expect(clientAddress([], '2001:db8:1:2:bbbb::9', undefined)).toBe('2001:db8:1:2::/64')
  })

  it('is undefined without a usable peer', () => {
    expect(clientAddress(proxies, undefined, '203.0.113.1')).toBeUndefined()
    expect(clientAddress(proxies, 'unix-socket', undefined)).toBeUndefined()
  })
})
