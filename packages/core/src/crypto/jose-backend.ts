// jose by subpath, not its index: the index re-exports every jose module, which would pull the
// lazily loaded signed-key-set verification (jwtVerify) into the eager browser bundle.
import type { CompactJWEHeaderParameters, JWK } from 'jose'
import { CompactEncrypt } from 'jose/jwe/compact/encrypt'
import { compactDecrypt } from 'jose/jwe/compact/decrypt'
import { importJWK } from 'jose/key/import'
import { CONTENT_ENCRYPTION_ALG, KEY_MANAGEMENT_ALG } from '../constants.js'
import { SEALED_HEAD_PARAM } from '../protocol/sealed-head.js'
import { utf8 } from '../encoding.js'
import { webCryptoAesKeyUnderSecret } from '../platform/webcrypto-hkdf.js'
import { SESSION_REQUEST_INFO } from '../session/session-constants.js'
import type { CryptoBackend } from './backend.js'
import { webCryptoOpenDir, webCryptoOpenDirUnder, webCryptoSealDir, webCryptoSealDirUnder } from './webcrypto-dir.js'
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

function seal(plaintext: Uint8Array, header: Record<string, unknown>, key: Key): Promise<string> {
  return new CompactEncrypt(plaintext).setProtectedHeader(header as CompactJWEHeaderParameters).encrypt(key, { crit: CRIT })
}

/**
 * The portable backend: jose over WebCrypto, in every runtime. Messages under
 * a secret (`dir`: every answer, and requests within a session) go straight
 * to WebCrypto (webcrypto-dir.ts), with the same bytes and verdicts as jose's:
 * there they are little more than two WebCrypto calls, and jose's general
 * path would double their cost in a browser.
 */
export const joseBackend: CryptoBackend<Key, Key> = {
  name: 'jose',
  importPublicKey: importFor,
  importPrivateKey: importFor,
  sealToPublicKey: seal,
  async openWithPrivateKey(compact, key) {
    return (await compactDecrypt(compact, key, REQUEST_DECRYPT_OPTIONS)).plaintext
  },
  sealWithSecret: webCryptoSealDir,
  openWithSecret: webCryptoOpenDir,
  sealWithinSession: (plaintext, header, secret, jti) => webCryptoSealDirUnder(plaintext, header, sessionRequestKey(secret, jti, 'encrypt')),
  openWithinSession: (compact, secret, jti, header) => webCryptoOpenDirUnder(compact, header, sessionRequestKey(secret, jti, 'decrypt')),
  generateEphemeral: webCryptoEphemeral,
  agree: (privateKey, peer) => webCryptoAgree(privateKey as CryptoKey, peer),
}
