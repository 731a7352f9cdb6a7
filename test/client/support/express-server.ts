// The client tests' server: @sealwire/server's Express adapter, on real HTTP(S)
// on loopback, running the application of app.ts.
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { ENVELOPE_HEADER, JWKS_PATH } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { sealwireExpress } from '@sealwire/server/express'
import express, { type RequestHandler } from 'express'
import { routes } from './app.js'
import type { Harness, HarnessOptions, ServerLogEntry } from './harness.js'

/** @sealwire/server's Express adapter: app-wide `sealwireExpress`, per-route schemas. */
export async function startExpressServer(options: HarnessOptions): Promise<Harness> {
  const log: ServerLogEntry[] = []
  const sealwire = createSealwireServer({
    keys: options.keyRing,
    allowInsecureLoopback: true,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.jwksMaxAgeSeconds === undefined ? {} : { jwksMaxAgeSeconds: options.jwksMaxAgeSeconds }),
  })
  await sealwire.ready

  const app = express()
  app.use((req, _res, next) => {
    log.push({
      method: req.method,
      url: req.originalUrl,
      contentType: req.headers['content-type'],
      envelopeHeader: ENVELOPE_HEADER.toLowerCase() in req.headers,
      bodyBytes: Number(req.headers['content-length'] ?? 0),
    })
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

  const server: Server = options.tls === undefined ? createServer(app) : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    keyRing: options.keyRing,
    log,
    jwksRequests: () => log.filter((e) => e.url === JWKS_PATH).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
