import { withSealwire } from '@sealwire/server/fetch'
import { sealwire } from '../../../src/sealwire'

export const dynamic = 'force-dynamic'

export const GET = withSealwire(sealwire, () => Response.json({ pong: true }))
