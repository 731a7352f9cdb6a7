import { generate } from 'selfsigned'

export interface TestCertificate {
  key: string
  cert: string
}

let pending: Promise<TestCertificate> | undefined

/**
 * A self-signed P-256 certificate for 127.0.0.1, generated in-process once per
 * test file (no openssl binary, nothing on disk). Clients trust it with `ca: cert`.
 */
export function testCertificate(): Promise<TestCertificate> {
  pending ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    days: 1,
    // SHA-256, not selfsigned's SHA-1 default: rustls (Deno's TLS) refuses SHA-1 signatures outright.
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  } as Parameters<typeof generate>[1]).then((pems) => ({ key: pems.private, cert: pems.cert }))
  return pending
}
