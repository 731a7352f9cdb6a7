/**
 * @sealwire/dynamodb — a replay guard on DynamoDB for Sealwire servers: one
 * conditional `PutItem` per request, shared by every instance, failing closed.
 */
export { DynamoDBReplayStore } from './dynamodb-replay-store.js'
export { DEFAULT_KEY_PREFIX, DEFAULT_TIMEOUT_MS } from './options.js'
export type { DynamoDBReplayStoreOptions } from './options.js'
export type { ReplaySendClient } from './send-client.js'
export { EXPIRY_MS_ATTRIBUTE, PARTITION_KEY, TTL_ATTRIBUTE, replayTableDefinition } from './replay-table-definition.js'
export type { ReplayTableDefinition } from './replay-table-definition.js'
