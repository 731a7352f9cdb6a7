import type { PutItemCommand } from '@aws-sdk/client-dynamodb'

/**
 * The one capability the store needs from the AWS SDK's `DynamoDBClient`,
 * typed structurally: `send(command, { abortSignal })`. A `DynamoDBClient`
 * (or a `DynamoDBDocumentClient`, which forwards low-level commands as they
 * are) satisfies it as it is.
 */
export interface ReplaySendClient {
  // The reply is typed loosely: only success or a ConditionalCheckFailedException matters.
  send(command: PutItemCommand, options?: { abortSignal?: AbortSignal }): PromiseLike<unknown>
}
