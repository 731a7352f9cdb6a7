import { MAX_HEADER_ENVELOPE_CHARS, SealwireError } from '@sealwire/core'
import { describe, expect, it } from 'vitest'
import { locateEnvelope, mediaTypeEssence } from './envelope.js'
import type { IncomingRequest } from './types.js'

function incoming(headers: Record<string, string>, hasBody: boolean, method = hasBody ? 'POST' : 'GET'): IncomingRequest {
  return { method, target: '/x', header: (n) => headers[n], hasBody, body: () => null, secure: true }
}

const codeOf = (fn: () => unknown) => {
  try {
    fn()
    return 'passed'
  } catch (err) {
    return err instanceof SealwireError ? `${err.code}` : String(err)
  }
}

describe('locateEnvelope', () => {
  it('body form: application/jose, parameters and case ignored', () => {
    expect(locateEnvelope(incoming({ 'content-type': 'application/jose' }, true), 10)).toEqual({ placement: 'body' })
    expect(locateEnvelope(incoming({ 'content-type': 'Application/JOSE; charset=us-ascii' }, true), 10)).toEqual({ placement: 'body' })
    expect(locateEnvelope(incoming({ 'content-type': 'APPLICATION/JOSE; charset=utf-8' }, true), 10)).toEqual({ placement: 'body' })
    expect(locateEnvelope(incoming({ 'content-type': ' application/jose ' }, true), 10)).toEqual({ placement: 'body' })
  })
  it('header form only without a body', () => {
    expect(locateEnvelope(incoming({ 'sealwire-envelope': ' a.b.c.d.e ' }, false), 10)).toEqual({ placement: 'header', envelope: 'a.b.c.d.e' })
  })
  it.each([
    ['a JSON body', { 'content-type': 'application/json' }, true, 'unsupported_media_type'],
    ['a body without a type', {}, true, 'unsupported_media_type'],
    ['application/jose+json (the JSON serialization)', { 'content-type': 'application/jose+json' }, true, 'unsupported_media_type'],
    ['both forms at once', { 'content-type': 'application/jose', 'sealwire-envelope': 'x' }, true, 'unsupported_media_type'],
    ['no envelope', {}, false, 'unsupported_media_type'],
    ['a Content-Length over the cap', { 'content-type': 'application/jose', 'content-length': '11' }, true, 'payload_too_large'],
    ['a header envelope over its cap', { 'sealwire-envelope': 'a'.repeat(MAX_HEADER_ENVELOPE_CHARS + 1) }, false, 'payload_too_large'],
  ])('refuses %s', (_what, headers, hasBody, code) => {
    expect(codeOf(() => locateEnvelope(incoming(headers as Record<string, string>, hasBody), 10))).toBe(code)
  })
  it('a streamed upload (§12), once turned on: its own placement, with no Content-Length cap (records are read one at a time)', () => {
    expect(locateEnvelope(incoming({ 'content-type': 'application/sealwire-stream' }, true), 10, true)).toEqual({ placement: 'stream' })
    expect(locateEnvelope(incoming({ 'content-type': 'Application/Sealwire-Stream', 'content-length': '1000000' }, true), 10, true)).toEqual({ placement: 'stream' })
    expect(codeOf(() => locateEnvelope(incoming({ 'content-type': 'application/sealwire-stream', 'sealwire-envelope': 'x' }, true), 10, true))).toBe('unsupported_media_type')
  })
  it('a streamed upload is refused as a server without streams refuses it unless turned on, and on a method without a body always', () => {
    const error = (() => {
      try {
        return locateEnvelope(incoming({ 'content-type': 'application/sealwire-stream' }, true), 10)
      } catch (err) {
        return err as SealwireError
      }
    })()
    expect(error).toMatchObject({ code: 'unsupported_media_type', status: 415 })
    expect((error as SealwireError).message).toMatch(/streamedUploads/)
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE']) {
      // With a body or (a web Request for a GET has none) without one: the same answer on every adapter.
      for (const hasBody of [true, false]) expect(codeOf(() => locateEnvelope(incoming({ 'content-type': 'application/sealwire-stream' }, hasBody, method), 10, true))).toBe('unsupported_media_type')
    }
  })
  it('a Content-Length at the cap passes', () => {
    expect(codeOf(() => locateEnvelope(incoming({ 'content-type': 'application/jose', 'content-length': '10' }, true), 10))).toBe('passed')
  })
  it('mediaTypeEssence: lowercase, trimmed, parameters dropped (RFC 9110 §8.3.1)', () => {
    expect(mediaTypeEssence(' Text/Plain ; q=1')).toBe('text/plain')
    expect(mediaTypeEssence('APPLICATION/JOSE; charset=utf-8')).toBe('application/jose')
    expect(mediaTypeEssence(' application/jose ')).toBe('application/jose')
    expect(mediaTypeEssence('\tapplication/jose\t;a=b;c=d')).toBe('application/jose')
    expect(mediaTypeEssence(undefined)).toBeUndefined()
  })
})
