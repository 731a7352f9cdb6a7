import { describe, expect, it } from 'vitest'
import { forwardedHosts, requestAuthorities } from './request-authorities.js'
import type { IncomingRequest } from './types.js'

const incoming = (headers: Record<string, string>, authority?: string): IncomingRequest => ({
  method: 'POST',
  target: '/',
  header: (name) => headers[name],
  hasBody: false,
  body: () => null,
  secure: true,
  authority,
})

describe('requestAuthorities', () => {
  it('lists the bound authority, Host beside it, every X-Forwarded-Host value and every Forwarded host', () => {
    const headers = { host: 'b.example', 'x-forwarded-host': 'c.example, d.example', forwarded: 'for=192.0.2.1;host=e.example, host="f.example:8443"' }
    expect(requestAuthorities(incoming(headers, 'a.example'))).toEqual(['a.example', 'b.example', 'c.example', 'd.example', 'e.example', 'f.example:8443'])
    expect(requestAuthorities(incoming({ host: 'a.example' }))).toEqual(['a.example', 'a.example'])
    expect(requestAuthorities(incoming({}))).toEqual([])
  })
})

describe('forwardedHosts', () => {
  it('reads host= in any element and case, quoted or not, with separators inside quotes', () => {
    expect(forwardedHosts('HOST=a.example')).toEqual(['a.example'])
    expect(forwardedHosts('for="[2001:db8::1]:4711";Host="b.example";proto=https, for=x;host=c.example')).toEqual(['b.example', 'c.example'])
    expect(forwardedHosts('for="a,b;host=evil";proto=http')).toEqual([])
    expect(forwardedHosts('host="a\\"b"')).toEqual(['a"b'])
    expect(forwardedHosts('for=192.0.2.1')).toEqual([])
  })

  it('returns an unterminated quoted value as is, so it fails the comparison', () => {
    expect(forwardedHosts('host="a.example')).toEqual(['"a.example'])
  })
})
