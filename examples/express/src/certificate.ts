import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { generate } from 'selfsigned'

/** A TLS certificate and its private key, PEM. */
export interface Certificate {
  key: string
  cert: string
  /** SHA-256 fingerprint of the certificate, `AB:CD:…`: what a person compares before trusting it. */
  fingerprint: string
}

/**
 * A self-signed certificate for this run, made in-process (no `openssl`
 * binary): an ECDSA P-256 key, valid for a week, for `localhost`, 127.0.0.1,
 * ::1 and `host` when it is another name or address. It is nobody's CA
 * (`cA: false`), so trusting it — pinning it, as the demo does — trusts this
 * one server and nothing else.
 */
export async function createCertificate(host = '127.0.0.1'): Promise<Certificate> {
  const names = new Set(['localhost', '127.0.0.1', '::1', host])
  const altNames = [...names]
    .filter((name) => name !== '' && name !== '0.0.0.0' && name !== '::')
    .map((name) => (isIP(name) !== 0 ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }))
  const pems = await generate([{ name: 'commonName', value: 'Sealwire example (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  })
  return { key: pems.private, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256 }
}
