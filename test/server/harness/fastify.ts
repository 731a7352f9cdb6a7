import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Fastify from 'fastify'
import Fastify4 from 'fastify4'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import { serveNode } from './listen.js'
import { SECRET, TYPED_ROUTES, type AdapterHarness } from './spec.js'

/** The harness app on one major of Fastify (the API it uses is the same in 4 and 5). */
const fastifyHarnessOf = (name: string, Fastify: typeof import('fastify').default): AdapterHarness => ({
  name,
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
    for (const [path, schema] of Object.entries(TYPED_ROUTES)) {
      app.post(
        path,
        sealwireRoute(schema, async (request, reply) => {
          reply.code(201)
          return { ok: true, to: request.body.to, amount: request.body.amount, kid: request.sealwire.kid }
        }),
      )
    }
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
})

export const fastifyHarness = fastifyHarnessOf('fastify', Fastify)
// Fastify 4's factory has the same shape at run time; its typings are its own.
export const fastify4Harness = fastifyHarnessOf('fastify 4', Fastify4 as unknown as typeof Fastify)
