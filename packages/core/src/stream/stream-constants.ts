/** Sealed streams (docs/PROTOCOL.md §12). Changing any of these is a new stream version. */

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

/** AES-GCM tag bytes ending each record. */
export const RECORD_TAG_BYTES = 16

/** Bytes of a record's big-endian length prefix. */
export const RECORD_LENGTH_BYTES = 4
