import { describe, expect, it } from 'vitest'
import { envelopeOf, mediaType, parseResponseInput } from './http-message.js'

describe('parseResponseInput', () => {
  it('takes a bare body as it is, trimmed', () => {
    expect(parseResponseInput('  a.b.c.d.e\n')).toEqual({ headers: new Map(), body: 'a.b.c.d.e' })
  })

  it('splits curl -i output into status, headers and body', () => {
    const dump = 'HTTP/1.1 409 Conflict\r\nContent-Type: application/jose\r\nDate: Fri, 27 Nov 2026 21:14:43 GMT\r\n\r\na.b.c.d.e'
    const r = parseResponseInput(dump)
    expect(r.status).toBe(409)
    expect(r.headers.get('content-type')).toBe('application/jose')
    expect(r.headers.get('date')).toBe('Fri, 27 Nov 2026 21:14:43 GMT')
    expect(r.body).toBe('a.b.c.d.e')
  })

  it('skips interim responses and keeps the last status line (100 Continue, HTTP/2)', () => {
    const dump = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/2 200\r\ncontent-type: application/jose\r\n\r\nx.y.z.w.v\r\n'
    const r = parseResponseInput(dump)
    expect(r.status).toBe(200)
    expect(r.body).toBe('x.y.z.w.v')
  })

  it('handles a head without a body, and LF-only line ends', () => {
    expect(parseResponseInput('HTTP/1.1 204 No Content\nServer: x\n')).toMatchObject({ status: 204, body: '' })
  })
})

describe('envelopeOf', () => {
  it('strips a pasted Sealwire-Envelope header name', () => {
    expect(envelopeOf('Sealwire-Envelope: a.b.c.d.e')).toBe('a.b.c.d.e')
    expect(envelopeOf('sealwire-envelope:a.b.c.d.e\n')).toBe('a.b.c.d.e')
  })
})

describe('mediaType', () => {
  it('drops parameters and case', () => {
    expect(mediaType('Application/JOSE; charset=utf-8')).toBe('application/jose')
    expect(mediaType(undefined)).toBeUndefined()
  })
})
