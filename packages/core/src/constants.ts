/** Wire protocol v1 constants (docs/PROTOCOL.md). Changing any of these is a new protocol version. */

export const PROTOCOL_VERSION = 1

/** Media type of a sealed request or response body (RFC 7516 §9.2.1 registers `application/jose`). */
export const JOSE_MEDIA_TYPE = 'application/jose'

/** Request header that carries the envelope for methods without a body. */
export const ENVELOPE_HEADER = 'Sealwire-Envelope'

/** Where servers publish their public JWK Set. */
export const JWKS_PATH = '/.well-known/sealwire/jwks.json'

export const REQUEST_TYP = 'sealwire-req+jwe'
export const RESPONSE_TYP = 'sealwire-res+jwe'

export const KEY_MANAGEMENT_ALG = 'ECDH-ES'
export const RESPONSE_KEY_MANAGEMENT_ALG = 'dir'
export const CONTENT_ENCRYPTION_ALG = 'A256GCM'

/** Bytes of randomness in a `jti` (at least 16, RFC 7519 §4.1.7 wants collision resistance). */
export const JTI_BYTES = 16
/** Bytes of the response key `rk`: an A256GCM key. */
export const RESPONSE_KEY_BYTES = 32

/** Defaults of the freshness window, in seconds. */
export const DEFAULT_MAX_AGE_SECONDS = 60
export const DEFAULT_MAX_SKEW_SECONDS = 5
/**
 * Default margin the replay store holds a jti beyond the last instant its `iat`
 * is fresh, in seconds: the most the clocks of instances sharing one store may
 * disagree by (docs/PROTOCOL.md §6).
 */
export const DEFAULT_REPLAY_MARGIN_SECONDS = 5

/** Cap on the base64url protected header: stops header-borne memory and CPU abuse. */
export const MAX_PROTECTED_HEADER_CHARS = 8 * 1024
/** Cap on an envelope carried in the `Sealwire-Envelope` header (Node's own header limit is 16 KiB). */
export const MAX_HEADER_ENVELOPE_CHARS = 12 * 1024

/** Origin-form request target (RFC 9112 §3.2.1): a path and optional query, no scheme, authority or fragment. */
export const ORIGIN_FORM_TARGET = /^\/[^\s#]*$/

/**
 * Where servers publish their public JWK Set signed by an offline root key
 * (docs/PROTOCOL.md §2.1): a JWT, `application/jwt` (RFC 7519 §10.3.1).
 */
export const SIGNED_JWKS_PATH = '/.well-known/sealwire/jwks.jwt'
/** `typ` of a signed key set: a signature over anything else (an ID token, say) is never taken for one. */
export const SIGNED_JWKS_TYP = 'sealwire-jwks+jwt'
/** The root's signature algorithm: ECDSA P-256 SHA-256, which WebCrypto verifies in every browser and runtime. */
export const ROOT_SIGNING_ALG = 'ES256'
/** The longest validity (`exp - iat`) a signed key set may have: clients refuse longer, the CLI signs no longer, servers serve no longer. */
export const MAX_SIGNED_JWKS_LIFETIME_SECONDS = 366 * 86_400
/**
 * The `detail` of the 500 `internal_error` a server answers at the signed set's
 * path when it has no valid set to serve (expired, dated ahead, listing a key it
 * no longer holds), docs/PROTOCOL.md §2.1: clients match it to say what to fix.
 */
export const NO_VALID_SIGNED_JWKS_DETAIL = 'No valid signed key set to serve'
/** How far ahead of a client's clock a signed set's `iat` may be (the signer's clock runs fast). */
export const SIGNED_JWKS_IAT_LEEWAY_SECONDS = 60

// Sealed streams (docs/PROTOCOL.md §12). Changing any of these is a new stream version.

/** Media type of a streamed body, either direction: the header line, then records. */
export const STREAM_MEDIA_TYPE = 'application/sealwire-stream'

/** Most plaintext bytes in one record (64 KiB, as age's payload chunks): a reader's memory per stream. */
export const MAX_RECORD_PLAINTEXT = 65_536

/** Longest header line (the compact JWE before `\n`), refused before a reader holds more. */
export const MAX_STREAM_HEADER_LINE = 65_536

/** Bytes of a stream salt (`str` in a response header, `bsn` in a request plaintext). */
export const STREAM_SALT_BYTES = 16

/** Request header member announcing a client reads streamed answers; response header member carrying the salt. */
export const STREAM_PARAM = 'str'

/** Request plaintext member carrying the salt of a streamed upload's records. */
export const BODY_STREAM_MEMBER = 'bsn'

/** HKDF info label of a stream key, followed by 0x00, the direction, 0x00 and the request's jti. */
export const STREAM_KEY_INFO = 'sealwire-stream-v1'
