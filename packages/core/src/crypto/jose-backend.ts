// jose by subpath, not its index: the index re-exports every jose module, which would pull the
// lazily loaded signed-key-set verification (jwtVerify) into the eager browser bundle.
import type { JWK } from 'jose'
import { importJWK } from 'jose/key/import'
import { CONTENT_ENCRYPTION_ALG, KEY_MANAGEMENT_ALG } from '../constants.js'
import { SEALED_HEAD_PARAM } from '../protocol/sealed-head.js'
import { utf8 } from '../encoding.js'
import { webCryptoAesKeyUnderSecret } from '../platform/webcrypto-hkdf.js'
import { SESSION_REQUEST_INFO } from '../session/session-constants.js'
import type { CryptoBackend } from './backend.js'
import { webCryptoOpenDir, webCryptoOpenDirUnder, webCryptoSealDir, webCryptoSealDirUnder } from './webcrypto-dir.js'
import { webCryptoSealToPublicKey } from './webcrypto-ecdh-es.js'
import { webCryptoAgree, webCryptoEphemeral } from './webcrypto-ecdh.js'

type Key = CryptoKey | Uint8Array

/** Explicit allow-lists (RFC 8725 §3.1): jose refuses anything else before any key work. */
/**
 * The one critical extension Sealwire understands (RFC 7515 §4.1.11): the
 * sealed head (docs/PROTOCOL.md §3.5). jose refuses any other name in `crit`.
 */
const CRIT = { [SEALED_HEAD_PARAM]: true }
const REQUEST_DECRYPT_OPTIONS = {
  keyManagementAlgorithms: [KEY_MANAGEMENT_ALG],
  contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALG],
  maxDecompressedLength: 0,
  crit: CRIT,
}

const REQUEST_INFO = utf8(SESSION_REQUEST_INFO)
/** A session request's key (docs/PROTOCOL.md §11), as core's `deriveSessionRequestKey` derives its bytes. */
const sessionRequestKey = (secret: Uint8Array, jti: string, usage: 'encrypt' | 'decrypt') => () => webCryptoAesKeyUnderSecret(secret, utf8(jti), REQUEST_INFO, usage)

async function importFor(jwk: JWK): Promise<Key> {
  // `alg` pins the key to ECDH-ES whatever the JWK says; jose returns a WebCrypto key.
  return importJWK({ ...jwk, alg: KEY_MANAGEMENT_ALG }, KEY_MANAGEMENT_ALG)
}

/** jose's JWE decryption, loaded the first time a request is opened with a private key (a server's work), then kept. */
let joseDecrypt: Promise<typeof import('jose/jwe/compact/decrypt')> | undefined

/**
 * The portable backend, on WebCrypto in every runtime: keys imported by jose,
 * requests opened with private keys by jose (a server's work, loaded when a
 * server first does it), and what a client does — seal to a public key
 * (ECDH-ES), seal and open under a secret (`dir`: every answer, and requests
 * within a session) — straight on WebCrypto, with the same bytes and verdicts
 * as jose's. Those are little more than their WebCrypto calls; jose's general
 * JWE code would double their cost in a browser and weigh ~7 KB (min+gz) in
 * its bundle.
 */
export const joseBackend: CryptoBackend<Key, Key> = {
  name: 'jose',
  importPublicKey: importFor,
  importPrivateKey: importFor,
  async sealToPublicKey(plaintext, header, recipient) {
    if (!(recipient instanceof CryptoKey)) throw new TypeError('the recipient must be a key imported by this backend')
    return webCryptoSealToPublicKey(plaintext, header, recipient)
  },
  async openWithPrivateKey(compact, key) {
    const { compactDecrypt } = await (joseDecrypt ??= import('jose/jwe/compact/decrypt'))
    return (await compactDecrypt(compact, key, REQUEST_DECRYPT_OPTIONS)).plaintext
  },
  sealWithSecret: webCryptoSealDir,
  openWithSecret: webCryptoOpenDir,
  sealWithinSession: (plaintext, header, secret, jti) => webCryptoSealDirUnder(plaintext, header, sessionRequestKey(secret, jti, 'encrypt')),
  openWithinSession: (compact, secret, jti, header) => webCryptoOpenDirUnder(compact, header, sessionRequestKey(secret, jti, 'decrypt')),
  generateEphemeral: webCryptoEphemeral,
  agree: (privateKey, peer) => webCryptoAgree(privateKey as CryptoKey, peer),
}
