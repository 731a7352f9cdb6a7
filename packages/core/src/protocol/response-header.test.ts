/**
 * The plain response header check (the client's, zod-free) against the zod
 * `responseHeaderSchema` (the CLI's): the same verdict on every input, and the
 * same header when both accept.
 */
import { describe, expect, it } from 'vitest'
import { responseHeaderSchema } from '../schemas.js'
import { checkResponseHeader } from './response-header.js'

const good = { alg: 'dir', enc: 'A256GCM', typ: 'sealwire-res+jwe', jti: 'AAAAAAAAAAAAAAAAAAAAAA', sts: 200, cty: 'application/json' }

const variants: Array<[string, Record<string, unknown>]> = [
  ['as sealed', good],
  ['extra members (dropped)', { ...good, kid: 'x', __proto__: { sts: 1 } }],
  ['typ with application/ and other case', { ...good, typ: 'Application/SEALWIRE-RES+JWE' }],
  ['typ of a request', { ...good, typ: 'sealwire-req+jwe' }],
  ['typ with a parameter', { ...good, typ: 'sealwire-res+jwe; q=1' }],
  ['typ too long', { ...good, typ: 'a'.repeat(300) }],
  ['typ absent', { ...good, typ: undefined }],
  ['alg ECDH-ES', { ...good, alg: 'ECDH-ES' }],
  ['enc A128GCM', { ...good, enc: 'A128GCM' }],
  ['jti of 15 bytes', { ...good, jti: 'AAAAAAAAAAAAAAAAAAAA' }],
  ['jti of 64 bytes', { ...good, jti: 'A'.repeat(86) }],
  ['jti of 65 bytes', { ...good, jti: 'A'.repeat(87) }],
  ['jti not base64url', { ...good, jti: 'AAAAAAAAAAAAAAAAAAAAA+' }],
  ['jti padded', { ...good, jti: 'AAAAAAAAAAAAAAAAAAAAAA==' }],
  ['jti a number', { ...good, jti: 16 }],
  ['sts 99', { ...good, sts: 99 }],
  ['sts 100', { ...good, sts: 100 }],
  ['sts 599', { ...good, sts: 599 }],
  ['sts 600', { ...good, sts: 600 }],
  ['sts 200.5', { ...good, sts: 200.5 }],
  ['sts "200"', { ...good, sts: '200' }],
  ['sts NaN', { ...good, sts: Number.NaN }],
  ['cty empty', { ...good, cty: '' }],
  ['cty 256 chars', { ...good, cty: 'a'.repeat(256) }],
  ['cty 257 chars', { ...good, cty: 'a'.repeat(257) }],
  ['cty absent', { ...good, cty: undefined }],
]

describe('checkResponseHeader', () => {
  it.each(variants)('agrees with responseHeaderSchema: %s', (_name, header) => {
    const zod = responseHeaderSchema.safeParse(header)
    const plain = checkResponseHeader(header)
    expect('header' in plain, JSON.stringify(plain)).toBe(zod.success)
    if (zod.success && 'header' in plain) expect(plain.header).toStrictEqual(zod.data)
  })

  it('names the member at fault', () => {
    expect(checkResponseHeader({ ...good, sts: 700 })).toEqual({ problem: 'sts: must be an integer from 100 to 599' })
    expect(checkResponseHeader({ ...good, typ: 'x' })).toEqual({ problem: 'typ: must be sealwire-res+jwe' })
  })
})
