import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from '@aws-sdk/client-dynamodb'

/** The table's partition key: a string, `<keyPrefix><jti>`. */
export const PARTITION_KEY = 'pk'

/**
 * The attribute DynamoDB's TTL sweeper reads: the item's expiry in whole
 * seconds since the epoch (rounded up, so the sweeper never erases an item
 * before the replay window closes).
 */
export const TTL_ATTRIBUTE = 'expiresAt'

/** The exact expiry in ms since the epoch, which the condition compares. */
export const EXPIRY_MS_ATTRIBUTE = 'expiresAtMs'

/** What `replayTableDefinition` returns: the two calls that make a replay table. */
export interface ReplayTableDefinition {
  /** For `CreateTableCommand`: partition key `pk` (string), on-demand billing, no sort key. */
  createTable: CreateTableCommandInput
  /** For `UpdateTimeToLiveCommand`, once the table is active: TTL on `expiresAt`. */
  timeToLive: UpdateTimeToLiveCommandInput
}

/**
 * The replay table, as the inputs of the two SDK calls that make it: one
 * string partition key `pk`, on-demand capacity (a replay guard must not be
 * throttled by a provisioned ceiling at a traffic spike: a throttled write is
 * a 503), and TTL on `expiresAt` so DynamoDB erases jtis once they expire.
 * Infrastructure as code (CloudFormation, CDK, Terraform) declares the same;
 * see the README.
 *
 * TTL deletion is lazy (typically within days), so the store never relies on
 * it: an item whose `expiresAtMs` has passed counts as absent.
 *
 * @example
 * import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb'
 * import { replayTableDefinition } from '@sealwire/dynamodb'
 *
 * const client = new DynamoDBClient({})
 * const table = replayTableDefinition('sealwire-replay')
 * await client.send(new CreateTableCommand(table.createTable))
 * await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: 'sealwire-replay' })
 * await client.send(new UpdateTimeToLiveCommand(table.timeToLive))
 */
export function replayTableDefinition(tableName: string): ReplayTableDefinition {
  if (typeof tableName !== 'string' || !/^[\w.-]{3,255}$/.test(tableName)) {
    throw new TypeError('replayTableDefinition: tableName must be a DynamoDB table name: 3 to 255 letters, digits, _ . -')
  }
  return {
    createTable: {
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    timeToLive: { TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } },
  }
}
