import { withSealwire } from '@sealwire/server/fetch'
import { sealwire } from '../../../src/sealwire'

export const dynamic = 'force-dynamic'

// The query travelled sealed too: it is back on the Request's URL.
export const GET = withSealwire(sealwire, (request) => Response.json({ q: new URL(request.url).searchParams.get('q') }))
