import { withSealwire } from '@sealwire/server/fetch'
import { sealwire } from '../../../src/sealwire'

export const dynamic = 'force-dynamic'

// Answers the decrypted JSON body it received.
export const POST = withSealwire(sealwire, (request) => Response.json(request.sealwire.body ?? null))
