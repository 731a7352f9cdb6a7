import { withSealwire } from '@sealwire/server/fetch'
import { EVENTS_QUERY_PROBLEM, eventStream, eventsQuery } from '../../../../sse-events'
import { sealwire } from '../../../src/sealwire'

export const dynamic = 'force-dynamic'

/** `GET /api/events?n=N&interval=MS`: N server-sent events, sealed record by record as they are produced. */
export const GET = withSealwire(sealwire, (request) => {
  const params = new URL(request.url).searchParams
  const query = eventsQuery(params.get('n') ?? undefined, params.get('interval') ?? '0')
  if (query === undefined) return Response.json(EVENTS_QUERY_PROBLEM, { status: 400 })
  return new Response(eventStream(query), { headers: { 'content-type': 'text/event-stream' } })
})
