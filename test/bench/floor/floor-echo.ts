/**
 * The floor: the least work any server middleware of the Sealwire protocol
 * must do for one sealed `POST /echo`, written straight on node:crypto and
 * sharing no code with Sealwire, so the bench's Sealwire/floor ratios say how
 * close Sealwire comes to what the protocol itself costs on this runtime.
 *
 * Per request: split the JWE compact string (docs/PROTOCOL.md §3.2), parse the
 * protected header, import `epk` from its JWK, one key agreement, the Concat
 * KDF (RFC 7518 §4.6.2), AES-256-GCM open with the header as AAD, `JSON.parse`
 * of `{"rk","body"}` (§3.3); then the body echoed (`JSON.stringify`, as a
 * plain JSON server answers) and sealed under `rk` as the response JWE of §4.
 * None of the protocol's checks (freshness, binding, replay, schemas, limits):
 * a real middleware needs them, the floor does not pay for them.
 */
import { createCipheriv, createDecipheriv, createECDH, createPrivateKey, createPublicKey, diffieHellman, hash, randomBytes, type JsonWebKey } from 'node:crypto'

/**
 * Concat KDF input for one 256-bit key (RFC 7518 §4.6.2, NIST SP 800-56A §5.8.1):
 * counter 1 ‖ Z (32 bytes on both curves) ‖ OtherInfo, where OtherInfo is
 * AlgorithmID "A256GCM" (direct key agreement: `enc`), empty PartyUInfo and
 * PartyVInfo (Sealwire clients send no `apu`/`apv`), and keydatalen 256. Every
 * length is a 32-bit big-endian prefix. One buffer, Z written into it per request:
 * the agreement and the hash are synchronous, so no two requests share it at once.
 */
const Z_OFFSET = 4
const KDF_INPUT = Buffer.concat([
  Buffer.from([0, 0, 0, 1]),
  Buffer.alloc(32),
  Buffer.from([0, 0, 0, 7]),
  Buffer.from('A256GCM', 'ascii'),
  Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
])

/** The shared secret Z of the server's private key with the request's `epk` (a JWK). */
type Agreement = (epk: JsonWebKey) => Buffer

function agreementFor(privateJwk: JsonWebKey): Agreement {
  if (privateJwk.crv === 'X25519') {
    // Imported once; the epk from its JWK (~8 µs, a DER SPKI import costs ~80 µs).
    const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' })
    return (epk) => diffieHellman({ privateKey, publicKey: createPublicKey({ key: epk, format: 'jwk' }) })
  }
  if (privateJwk.crv === 'P-256') {
    // One ECDH object holding the scalar; computeSecret takes the point 04 ‖ x ‖ y
    // (SEC 1 §2.3.3) and refuses one off the curve.
    const ecdh = createECDH('prime256v1')
    ecdh.setPrivateKey(Buffer.from(privateJwk.d!, 'base64url'))
    const point = Buffer.alloc(65)
    point[0] = 4
    return (epk) => {
      point.write(epk.x!, 1, 32, 'base64url')
      point.write(epk.y!, 33, 32, 'base64url')
      return ecdh.computeSecret(point)
    }
  }
  throw new TypeError(`floor: a P-256 or X25519 private JWK, not ${String(privateJwk.crv)}`)
}

/**
 * `(envelope) => sealed answer`: opens a sealed request and seals its body back
 * under the request's `rk`. Throws on anything it cannot open (callers answer 400).
 */
export function floorEcho(privateJwk: JsonWebKey): (envelope: string) => string {
  const agree = agreementFor(privateJwk)
  return function echo(envelope) {
    const [protectedB64u, , ivB64u, ciphertextB64u, tagB64u] = envelope.split('.')
    const header = JSON.parse(Buffer.from(protectedB64u!, 'base64url').toString()) as { epk: JsonWebKey; jti: string }
    agree(header.epk).copy(KDF_INPUT, Z_OFFSET)
    const cek = hash('sha256', KDF_INPUT, 'buffer')
    const decipher = createDecipheriv('aes-256-gcm', cek, Buffer.from(ivB64u!, 'base64url'))
    // RFC 7516 §5.2: the AAD is the ASCII of the protected header as sent.
    decipher.setAAD(Buffer.from(protectedB64u!, 'latin1'))
    decipher.setAuthTag(Buffer.from(tagB64u!, 'base64url'))
    const plaintext = decipher.update(Buffer.from(ciphertextB64u!, 'base64url'))
    decipher.final()
    const { rk, body } = JSON.parse(plaintext.toString()) as { rk: string; body: unknown }
    return seal(Buffer.from(rk, 'base64url'), header.jti, JSON.stringify(body))
  }
}

/** The response JWE of docs/PROTOCOL.md §4: `dir` + A256GCM under `rk`, bound to the request's `jti` and status 200. */
function seal(rk: Buffer, jti: string, json: string): string {
  const protectedB64u = Buffer.from(`{"alg":"dir","enc":"A256GCM","typ":"sealwire-res+jwe","jti":${JSON.stringify(jti)},"sts":200,"cty":"application/json"}`).toString('base64url')
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', rk, iv)
  cipher.setAAD(Buffer.from(protectedB64u, 'latin1'))
  const ciphertext = cipher.update(json, 'utf8')
  cipher.final()
  return `${protectedB64u}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`
}

/** Headers of a sealed answer (§4): the JWE media type, and no-store. */
export const SEALED_HEADERS = { 'content-type': 'application/jose', 'cache-control': 'no-store' } as const

/** Reads a Node request stream whole: its own `data`/`end` events and one `Buffer.concat`. */
export function readBody(stream: NodeJS.ReadableStream, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  stream.on('end', () => done(Buffer.concat(chunks)))
}
