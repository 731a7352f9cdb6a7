// The deployable Lambda entry point (dist/lambda-entry.js, handler `handler`):
// keys from the SEALWIRE_PRIVATE_JWKS environment variable (from your secret
// store), imported once per instance, at cold start.
import { createLambdaHandler, type LambdaHandler } from './lambda.js'

const jwks = process.env.SEALWIRE_PRIVATE_JWKS
if (jwks === undefined || jwks === '') throw new Error('SEALWIRE_PRIVATE_JWKS is not set: the Lambda needs the private JWK Set')
const ready = createLambdaHandler({ keys: JSON.parse(jwks) as { keys: unknown[] } })

export const handler: LambdaHandler = async (event, context) => (await ready)(event, context)
