import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Fastify from 'fastify'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import { serveNode } from './listen.js'
import { SECRET, Transfer, type AdapterHarness } from './spec.js'

export const fastifyHarness: AdapterHarness = {
  name: 'fastify',
  streaming: true,
  trustsProxies: true,
  async start(server) {
    // Fastify's request handler, served by our own TLS and plain listeners.
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
    const app = Fastify({
      serverFactory: (h) => {
        handler = h
        return createServer()
      },
    })
    await app.register(sealwireFastify, { server })
    app.post('/echo', async (request) => ({ echo: request.body, claims: request.sealwire }))
    app.get('/items', async (request) => ({ claims: request.sealwire }))
    app.delete('/items/:id', async (_request, reply) => {
      reply.code(204).send()
    })
    app.post(
      '/typed',
      sealwireRoute(Transfer, async (request, reply) => {
        reply.code(201)
        return { ok: true, to: request.body.to, amount: request.body.amount }
      }),
    )
    app.route({ method: ['GET', 'POST'], url: '/headers', handler: async (request) => ({ headers: request.headers }) })
    app.post('/boom', async () => {
      throw new Error(SECRET)
    })
    await app.ready()
    const running = await serveNode((req, res) => handler!(req, res))
    return {
      ...running,
      close: async () => {
        await running.close()
        await app.close()
      },
    }
  },
}
