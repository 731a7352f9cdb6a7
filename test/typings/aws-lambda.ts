// A Lambda app typed with @types/aws-lambda, as AWS's own examples write it:
// compiled, never run. The adapter vendors its event types, so these are
// structural checks against the real ones.
import type { APIGatewayProxyEventV2, APIGatewayProxyHandlerV2, APIGatewayProxyResultV2, Context, Handler } from 'aws-lambda'
import { z } from 'zod'
import type { SealwireServer } from '@sealwire/server'
import { sealwireLambda, type LambdaHttpEvent } from '@sealwire/server/lambda'

declare const sealwire: SealwireServer
const Transfer = z.object({ to: z.string().min(1), amount: z.number().positive() })

// The wrapped handler is what AWS types a payload 2.0 handler as.
export const handler: APIGatewayProxyHandlerV2 = sealwireLambda(
  sealwire,
  async (event, context: Context) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ok: true, amount: event.sealwire.body.amount, request: context.awsRequestId }),
  }),
  { schema: Transfer },
)

// Without a context type, and returning a plain value (API Gateway sends it as JSON).
export const plain: APIGatewayProxyHandlerV2 = sealwireLambda(sealwire, async (event) => ({ got: event.sealwire.body }))
export const generic: Handler<APIGatewayProxyEventV2, APIGatewayProxyResultV2> = sealwireLambda(sealwire, async () => ({ statusCode: 204 }))

// An AWS event is an event the adapter takes (a test or a local invoke passes one).
declare const awsEvent: APIGatewayProxyEventV2
const ours: LambdaHttpEvent = awsEvent
void ours
