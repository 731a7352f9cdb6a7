// The client tests' server: @sealwire/server's Express adapter, on real HTTP(S)
// on loopback, running the application of app.ts.
import { sealwireExpress } from '@sealwire/server/express'
import express, { type RequestHandler } from 'express'
import { routes } from './app.js'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'
import { listen, logEntry, sealwireServer } from './listen.js'

/** @sealwire/server's Express adapter: app-wide `sealwireExpress`, per-route schemas. */
export async function startExpressServer(options: HarnessOptions): Promise<Harness> {
  const log: ServerLogEntry[] = []
  const sealwire = await sealwireServer(options)

  const app = express()
  app.use((req, _res, next) => {
    log.push(logEntry(req))
    next()
  })
  for (const [path, file] of Object.entries(options.files ?? {})) {
    app.get(path, (_req, res) => {
      res.set('content-type', file.type).send(Buffer.from(file.body))
    })
  }
  app.use(sealwireExpress(sealwire))
  for (const [key, route] of Object.entries(routes)) {
    const [method, path] = key.split(' ') as [string, string]
    const handler: RequestHandler = async (req, res, next) => {
      try {
        const answer = await route.handle({
          method: req.method,
          target: req.originalUrl,
          query: new URL(req.originalUrl, 'http://x').searchParams,
          body: req.body,
          crv: req.sealwire!.crv,
        })
        res.status(answer.status).set('content-type', answer.type).send(Buffer.from(answer.body))
      } catch (err) {
        next(err)
      }
    }
    const perRoute = route.schema === undefined ? [] : [sealwireExpress(sealwire, { schema: route.schema })]
    app[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path, ...perRoute, handler)
  }

  return listen(app, options, log)
}
