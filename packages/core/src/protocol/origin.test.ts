import { describe, expect, it } from 'vitest'
import { normalizeOrigin, originFromRequest } from './origin.js'

describe('normalizeOrigin (RFC 6454 §6.2 serialization)', () => {
  it('lowercases, drops default ports, keeps others, punycodes IDN hosts', () => {
    expect(normalizeOrigin('HTTPS://API.Example.com:443')).toBe('https://api.example.com')
    expect(normalizeOrigin('http://example.com:80/')).toBe('http://example.com')
    expect(normalizeOrigin('https://example.com:8443')).toBe('https://example.com:8443')
    expect(normalizeOrigin('http://[::1]:8080')).toBe('http://[::1]:8080')
    expect(normalizeOrigin('https://bücher.example')).toBe('https://xn--bcher-kva.example')
  })

  it('refuses what is not an http(s) origin', () => {
    for (const text of ['/api', 'api.example.com', 'ftp://example.com', 'https://u:p@example.com', 'https://example.com/v1', 'https://example.com?x=1', 'https://example.com#f', 'https://example.com:99999']) {
      expect(normalizeOrigin(text), text).toBeUndefined()
    }
  })
})

describe('originFromRequest', () => {
  it('refuses spellings a URL parser would rewrite to another host or port than the raw Host names', () => {
    for (const host of ['a%2eexample.com', '127.1', '0x7f.0.0.1', '2130706433', '0177.0.0.1', 'a.example.com:', 'a.example.com:0443', 'a.example.com.', 'a..example.com', '[::1']) {
      expect(originFromRequest('https', host), host).toBeUndefined()
    }
    expect(originFromRequest('https', '[::1]:8443')).toBe('https://[::1]:8443')
    expect(originFromRequest('https', '192.0.2.7')).toBe('https://192.0.2.7')
  })

  it('joins the scheme and the Host, normalized as the client normalizes', () => {
    expect(originFromRequest('https', 'A.Example:443')).toBe('https://a.example')
    expect(originFromRequest('http', '127.0.0.1:8080')).toBe('http://127.0.0.1:8080')
  })

  it('refuses a missing Host, or one that smuggles userinfo, a path, a query or spaces', () => {
    for (const host of [undefined, '', 'evil.example@a.example', 'a.example/x', 'a.example?x', 'a.example#x', 'a example', 'a.example\\x']) {
      expect(originFromRequest('https', host), String(host)).toBeUndefined()
    }
  })
})
