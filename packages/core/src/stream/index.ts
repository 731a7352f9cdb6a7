/**
 * `@sealwire/core/stream` — the record code of sealed streams
 * (docs/PROTOCOL.md §12): key derivation, the record reader and writer, their
 * web-stream forms, the header-line split. Core's
 * root exports the key derivation only; the records live in this entry of
 * their own, so that code which loads streams lazily (`import()`, as the
 * browser client does) gets them in a lazy chunk, out of the one a browser
 * loads first — every request needs that one, few need streams.
 */
export { deriveStreamKey } from './stream-key.js'
export { createRecordReader } from './record-reader.js'
export { createRecordWriter } from './record-writer.js'
export { openRecordBody, openRecordStream, sealRecordBody, sealRecordStream } from './record-streams.js'
export { splitStreamHeader } from './split-stream-header.js'
export type { RecordReader } from './record-reader.js'
export type { RecordWriter } from './record-writer.js'
export type { StreamDirection, StreamKey } from './stream-key.js'
