// The client tests' server through @sealwire/server's Fastify adapter.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { sealwireFastify, sealwireRoute } from '@sealwire/server/fastify'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { routes } from './app.js'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'
import { listen, logEntry, refuseFiles, sealwireServer } from './listen.js'

/** The `sealwireFastify` plugin app-wide, `sealwireRoute` for routes with a schema. */
export async function startFastifyServer(options: HarnessOptions): Promise<Harness> {
  refuseFiles(options, 'Fastify')
  const log: ServerLogEntry[] = []
  const sealwire = await sealwireServer(options)

  // Fastify's request handler, served by our own loopback listener (HTTP or HTTPS).
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const app = Fastify({
    serverFactory: (h) => {
      handler = h
      return createServer()
    },
  })
  await app.register(sealwireFastify, { server: sealwire })
  for (const [key, route] of Object.entries(routes)) {
    const [method, url] = key.split(' ') as [string, string]
    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const answer = await route.handle({
        method: request.method,
        target: request.url,
        query: new URL(request.url, 'http://x').searchParams,
        body: request.body,
        crv: request.sealwire!.crv,
      })
      reply.code(answer.status)
      if (answer.body === '') return reply.send()
      return reply.type(answer.type).send(Buffer.from(answer.body))
    }
    if (route.schema === undefined) app.route({ method, url, handler: handle })
    else app.route({ method, url, ...sealwireRoute(route.schema, handle as never) })
  }
  await app.ready()
  return listen(
    (req, res) => {
      log.push(logEntry(req))
      handler!(req, res)
    },
    options,
    log,
    () => app.close(),
  )
}
