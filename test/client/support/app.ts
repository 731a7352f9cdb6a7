// The application the client tests talk to, whatever server runs it.
import { PROBLEM_MEDIA_TYPE } from '@sealwire/core'
import { z } from 'zod'

export interface AppRequest {
  method: string
  target: string
  query: URLSearchParams
  body: unknown
  /** The curve the request was sealed on, as the server saw it. */
  crv: string
}

export interface AppAnswer {
  status: number
  type: string
  body: string
}

interface Route {
  schema?: z.ZodType
  handle(req: AppRequest): AppAnswer | Promise<AppAnswer>
}

const json = (status: number, value: unknown): AppAnswer => ({ status, type: 'application/json', body: JSON.stringify(value) })
const echo: Route = { handle: (req) => json(200, { method: req.method, target: req.target, body: req.body, crv: req.crv }) }

/** In the body of a 2xx that claims JSON and is not: must never surface in a client error. */
export const NOT_JSON_SECRET = 'tok_live_5ecret'

export const orderSchema = z.object({ item: z.string().min(1), quantity: z.number().int().positive() })

export const routes: Record<string, Route> = {
  'POST /api/echo': echo,
  'PUT /api/echo': echo,
  'PATCH /api/echo': echo,
  'GET /api/items': { handle: (req) => json(200, { method: req.method, target: req.target, id: req.query.get('id'), body: req.body, crv: req.crv }) },
  'DELETE /api/items/7': { handle: () => ({ status: 204, type: 'application/json', body: '' }) },
  'POST /api/orders': { schema: orderSchema, handle: (req) => json(201, { id: 42, ...(req.body as object) }) },
  'GET /api/not-json': { handle: () => ({ status: 200, type: 'application/json', body: `${NOT_JSON_SECRET} is not JSON` }) },
  'GET /api/text': { handle: () => ({ status: 200, type: 'text/plain; charset=utf-8', body: 'plain words' }) },
  'GET /api/broken': { handle: () => ({ status: 503, type: 'application/json', body: 'upstream down' }) },
  'GET /api/teapot': {
    handle: () => ({ status: 418, type: PROBLEM_MEDIA_TYPE, body: JSON.stringify({ type: 'urn:example:teapot', title: 'I am a teapot', status: 418, code: 'teapot' }) }),
  },
}
