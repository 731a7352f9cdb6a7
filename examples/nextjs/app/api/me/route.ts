import { withSealwire } from '@sealwire/server/fetch'
import { DEMO_AUTHORIZATION, sealwire } from '../../../src/sealwire'

export const dynamic = 'force-dynamic'

// Authorization travelled sealed: the Request the handler gets has it back.
export const GET = withSealwire(sealwire, (request) =>
  request.headers.get('authorization') === DEMO_AUTHORIZATION
    ? Response.json({ user: 'demo' })
    : Response.json({ error: 'unauthorized' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
)
