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
    // Hops with ports, as some proxies write them.
    expect(clientAddress(proxies, '10.1.1.1', '203.0.113.9:5555')).toBe('203.0.113.9')
    expect(clientAddress(proxies, '10.1.1.1', '[2001:db8:1:2::7]:5555')).toBe('2001:db8:1:2::/64')
    expect(clientAddress(proxies, '10.1.1.1', '[2001:db8:1:2::7]')).toBe('2001:db8:1:2::/64')
  })

  it('is undefined (unguarded) when our proxy names no readable client: never the proxy, which every client shares', () => {
    expect(clientAddress(proxies, '10.1.1.1', 'not-an-ip')).toBeUndefined()
    expect(clientAddress(proxies, '10.1.1.1', undefined)).toBeUndefined()
    expect(clientAddress(proxies, '10.1.1.1', '10.2.2.2')).toBeUndefined()
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
