/*
 * Everything the client does with sealed streams (docs/PROTOCOL.md §12),
 * behind one `import()`: streamed answers, streamed uploads, server-sent
 * events. One lazy chunk rather than three: each lazy entry that shares
 * modules with the eager one makes bundlers split those into chunks of their
 * own, and every extra file a browser loads first costs its own compression.
 */
export { openStreamAnswer } from './exchange/stream-answer.js'
export { streamedUpload } from './exchange/streamed-upload.js'
export { sealedEvents } from './events/sealed-events.js'
