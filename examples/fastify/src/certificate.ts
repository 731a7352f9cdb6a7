import { generate } from 'selfsigned'

/**
 * A self-signed ECDSA P-256 certificate for loopback, made in process (no
 * `openssl`): for local HTTPS only. Clients pin it (`ca: cert`); in
 * production, use a certificate from your CA.
 */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'Sealwire Fastify example (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  })
  return { key: pems.private, cert: pems.cert }
}
