import { describe, expect, it } from 'vitest'
import { incomingFromRequest } from './handle-fetch.js'

// Node's own Request: a host whose URL could have been built from forwarding headers.
describe('step 1 on a web Request: the URL scheme counts only where the connection alone made it', () => {
  it('an https URL with no forwarding header is TLS', () => {
    expect(incomingFromRequest(new Request('https://api.example/x')).secure).toBe(true)
    expect(incomingFromRequest(new Request('http://api.example/x')).secure).toBe(false)
  })

  it('an https URL beside X-Forwarded-Proto or Forwarded is not proof of TLS: a trusted proxy must say so', () => {
    for (const headers of [{ 'x-forwarded-proto': 'https' }, { forwarded: 'proto=https' }] as Record<string, string>[]) {
      const incoming = incomingFromRequest(new Request('https://api.example/x', { headers }))
      expect(incoming.secure, JSON.stringify(headers)).toBe(false)
      expect(incoming.transportNote).toMatch(/trustedProxies/)
    }
  })

  it('the app-given peer passes through', () => {
    expect(incomingFromRequest(new Request('http://api.example/x'), { peer: '10.0.0.2' }).peer).toBe('10.0.0.2')
  })
})
