// The deployable Lambda entry point (dist/lambda-entry.js, handler `handler`):
// keys from the SEALWIRE_PRIVATE_JWKS environment variable (from your secret
// store), imported once per instance, at cold start. Accepted request ids go
// to the DynamoDB table named by SEALWIRE_REPLAY_TABLE, shared by every
// instance: Lambda runs many, and a replay sent to another warm instance must
// be refused too. The Lambda Node.js runtime ships @aws-sdk/client-dynamodb.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBReplayStore } from '@sealwire/dynamodb'
import { createLambdaHandler, type LambdaHandler } from './lambda.js'

const jwks = process.env.SEALWIRE_PRIVATE_JWKS
if (jwks === undefined || jwks === '') throw new Error('SEALWIRE_PRIVATE_JWKS is not set: the Lambda needs the private JWK Set')
const tableName = process.env.SEALWIRE_REPLAY_TABLE
if (tableName === undefined || tableName === '') {
  throw new Error('SEALWIRE_REPLAY_TABLE is not set: the Lambda needs the DynamoDB table its instances share accepted request ids in')
}

// Module scope: one client per execution environment, its connections reused by every warm invocation.
const replayStore = new DynamoDBReplayStore({ client: new DynamoDBClient({}), tableName })
const ready = createLambdaHandler({ keys: JSON.parse(jwks) as { keys: unknown[] }, replayStore })

export const handler: LambdaHandler = async (event, context) => (await ready)(event, context)
