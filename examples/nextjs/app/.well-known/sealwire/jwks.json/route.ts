import { withSealwire } from '@sealwire/server/fetch'
import { sealwire } from '../../../../src/sealwire'

export const dynamic = 'force-dynamic'

// The public keys clients discover: withSealwire answers the JWK Set path itself.
export const GET = withSealwire(sealwire, () => new Response(null, { status: 404 }))
