import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { curlCommand, shellQuote } from './curl.js'

describe('shellQuote', () => {
  it('survives a real POSIX shell unchanged', () => {
    for (const word of ["it's", 'a b', '$HOME', '`id`', 'x;y', '"q"', 'back\\slash', 'https://h/a?b=1&c=2', '']) {
      const echoed = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' })
      expect(echoed).toBe(word)
    }
  })
})

describe('curlCommand', () => {
  const envelope = 'eyJh.x.y.z.w'
  it('sends a body envelope as application/jose, keeping the status line (-i)', () => {
    expect(curlCommand({ method: 'POST', url: 'https://h:8443/api/echo?x=1', placement: 'body', envelope, insecure: true })).toBe(
      `curl -sS -i -k -X POST -H 'Content-Type: application/jose' --data-binary ${envelope} 'https://h:8443/api/echo?x=1'`,
    )
  })

  it('sends a header envelope without a body, and HEAD with --head', () => {
    expect(curlCommand({ method: 'GET', url: 'http://h/api/ping', placement: 'header', envelope, insecure: false })).toBe(
      `curl -sS -i -H 'Sealwire-Envelope: ${envelope}' http://h/api/ping`,
    )
    expect(curlCommand({ method: 'HEAD', url: 'http://h/p', placement: 'header', envelope, insecure: false })).toContain('--head')
    expect(curlCommand({ method: 'DELETE', url: 'http://h/p', placement: 'header', envelope, insecure: false })).toContain('-X DELETE')
  })
})
