import { SealwireError } from '@sealwire/core'
import { describe, expect, it } from 'vitest'
import { assertSecureTransport, isLoopbackHost } from './transport.js'

describe('transport', () => {
  it.each(['localhost', '127.0.0.1', '127.255.0.9', '[::1]', 'LOCALHOST'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  it.each(['example.com', '10.0.0.1', '128.0.0.1', 'localhost.example.com', '[::2]', '127.0.0.1.nip.io'])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })

  it('accepts https anywhere and http on loopback, as the URL parser normalizes it', () => {
    for (const url of ['https://api.example.com', 'http://localhost:3000', 'http://127.1:8080', 'http://0x7f.0.0.1', 'http://[::1]:80']) {
      expect(() => assertSecureTransport(new URL(url), false)).not.toThrow()
    }
  })

  it('refuses http to other hosts with insecure_transport, unless allowed', () => {
    const err = (() => {
      try {
        assertSecureTransport(new URL('http://api.example.com'), false)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(SealwireError)
    expect((err as SealwireError).code).toBe('insecure_transport')
    expect(() => assertSecureTransport(new URL('http://api.example.com'), true)).not.toThrow()
  })

  it('refuses other schemes as misuse', () => {
    expect(() => assertSecureTransport(new URL('ftp://example.com'), true)).toThrow(TypeError)
  })
})
