import { withSealwire } from '@sealwire/server/fetch'
import { sealwire } from '../../../src/sealwire'

export const dynamic = 'force-dynamic'

// Any other /api route goes through Sealwire too: plain requests are refused, sealed ones get a sealed 404.
const notFound = withSealwire(sealwire, () => new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }))
export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE }
