// A Fastify 4 app (its bundled types) as the README writes it: compiled, never run.
import Fastify from 'fastify'
import { z } from 'zod'
import type { SealwireServer } from '@sealwire/server'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'

declare const sealwire: SealwireServer
const Transfer = z.object({ to: z.string().min(1), amount: z.number().positive() })

const app = Fastify()
await app.register(sealwireFastify, { server: sealwire })
app.get('/api/ping', async (request) => ({ pong: true, kid: request.sealwire?.kid }))
app.post('/api/transfer', sealwireRoute(Transfer, async (request, reply) => {
  const to: string = request.body.to
  // @ts-expect-error not in the schema
  void request.body.nope
  const kid: string = request.sealwire.kid // set on a sealwireRoute
  reply.code(201)
  return { ok: true, to, amount: request.body.amount, kid }
}))
// Scoped to a prefix, with Fastify's own JSON schema beside ours.
await app.register(async (api) => {
  await api.register(sealwireFastify, { server: sealwire })
  api.post('/echo', { schema: { body: { type: 'object' } } }, async (request) => ({ got: request.body }))
}, { prefix: '/v2' })
