/** Wire constants of sessions (docs/PROTOCOL.md §11), a v1 extension. Changing any of them is a new protocol version. */

/** Protected-header member: `1` in a request offers a session; in a sealed answer, the session established. */
export const SESSION_PARAM = 'ses'
/** Protected-header member of a request sealed within a session: the session's id. */
export const SESSION_ID_PARAM = 'sid'
/** Plaintext member of a request offering a session: the client's ephemeral public key. */
export const SESSION_CLIENT_KEY_MEMBER = 'cpk'
/** Bytes of randomness in a session id. */
export const SESSION_ID_BYTES = 16
/** HKDF info label of the session secret S (followed by 0x00-separated kid, origin and both thumbprints). */
export const SESSION_SECRET_INFO = 'sealwire-session-v1'
/** HKDF info of the key of one request within a session (the salt is its `jti`). */
export const SESSION_REQUEST_INFO = 'sealwire-session-request-v1'
/** A session lives this long by default, in seconds. */
export const DEFAULT_SESSION_TTL_SECONDS = 300
/** The longest a session may live, in seconds: a bound on what a stolen session secret opens. */
export const MAX_SESSION_TTL_SECONDS = 3600
