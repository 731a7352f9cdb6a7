import { describe, expect, it } from 'vitest'
import { explainFetchFailure } from './fetch-failure.js'

const URL_ = 'https://api.example.com:8443/.well-known/sealwire/jwks.json?token=abc'

/** Shaped as undici throws it: `TypeError: fetch failed`, the Node error one `cause` down. */
function undiciFailure(code: string, message = 'detail'): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) })
}

describe('explainFetchFailure', () => {
  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', /not trusted \(SELF_SIGNED_CERT_IN_CHAIN\).*NODE_EXTRA_CA_CERTS=/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*NODE_EXTRA_CA_CERTS=/],
    ['CERT_HAS_EXPIRED', /outside its validity period \(CERT_HAS_EXPIRED\): renew it/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /does not name api\.example\.com \(ERR_TLS_CERT_ALTNAME_INVALID\)/],
    ['ECONNREFUSED', /connection refused at https:\/\/api\.example\.com:8443/],
    ['ENOTFOUND', /host not found \(ENOTFOUND\)/],
    ['UND_ERR_CONNECT_TIMEOUT', /no answer from api\.example\.com:8443 in time/],
  ])('%s', (code, expected) => {
    expect(explainFetchFailure(undiciFailure(code), URL_)).toMatch(expected)
  })

  it('shows where by origin only: a path or query may hold a token', () => {
    const withToken = 'https://api.example.com:8443/keys/tok_live_S3CRET/jwks.json?token=abc'
    expect(explainFetchFailure(undiciFailure('ECONNREFUSED'), withToken)).toMatch(/^ from https:\/\/api\.example\.com:8443: /)
    for (const code of ['ECONNREFUSED', 'ERR_SOMETHING_NEW']) expect(explainFetchFailure(undiciFailure(code), withToken)).not.toMatch(/tok_live|token|abc/)
  })

  it('names only the codes it knows: a code-shaped string from a custom fetch is not echoed, the sentence still says what to look at', () => {
    for (const code of ['ERR_SOMETHING_NEW', 'TOKEN_ABC123SECRET', 'X_CERT_S3CRET_TOKEN', 'UND_ERR_S3CRET_TIMEOUT']) {
      const text = explainFetchFailure(undiciFailure(code), URL_)
      expect(text, code).not.toContain(code)
      expect(text, code).toMatch(/the error's cause/)
    }
    // Still helpful when the code is a shape we know, without the code itself.
    expect(explainFetchFailure(undiciFailure('X_CERT_S3CRET_TOKEN'), URL_)).toMatch(/TLS handshake failed/)
    expect(explainFetchFailure(undiciFailure('UND_ERR_S3CRET_TIMEOUT'), URL_)).toMatch(/no answer from api\.example\.com:8443 in time/)
  })

  it('finds the code several causes deep and inside an AggregateError (happy eyeballs)', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })
    const deep = new TypeError('fetch failed', { cause: new Error('wrapped', { cause: new AggregateError([new Error('v6'), refused]) }) })
    expect(explainFetchFailure(deep, URL_)).toContain('connection refused')
  })

  it('an abort or a timeout signal (DOMException names)', () => {
    expect(explainFetchFailure(new DOMException('aborted', 'AbortError'), URL_)).toContain('the request was aborted')
    expect(explainFetchFailure(new DOMException('timed out', 'TimeoutError'), URL_)).toContain('in time (TimeoutError)')
  })

  it('stops on a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown }
    const b = new Error('b', { cause: a })
    a.cause = b
    expect(explainFetchFailure(a, URL_)).toBe(' from https://api.example.com:8443')
  })

  it('never echoes a message, nor a code that is not shaped as one', () => {
    const odd = new TypeError('fetch failed', { cause: Object.assign(new Error('Bearer s3cret'), { code: 'Bearer s3cret' }) })
    expect(explainFetchFailure(odd, URL_)).not.toContain('s3cret')
    expect(explainFetchFailure(undiciFailure('ECONNREFUSED', 'Bearer s3cret'), URL_)).not.toContain('s3cret')
  })

  it('a browser TypeError with no cause: points at the developer console', () => {
    expect(explainFetchFailure(new TypeError('Failed to fetch'), URL_)).toContain('developer console')
  })
})

describe('explainFetchFailure on hostile errors', () => {
  it('never throws: a cause getter that throws, or a revoked Proxy, gives the place and no reason', () => {
    const getter = new Error('x')
    Object.defineProperty(getter, 'cause', {
      get() {
        throw new Error('getter: Authorization: Bearer s3cr3t')
      },
    })
    expect(explainFetchFailure(getter, 'https://api.example/jwks.json')).toBe(' from https://api.example')
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    expect(explainFetchFailure(proxy, 'https://api.example/jwks.json')).toBe(' from https://api.example')
  })
})
