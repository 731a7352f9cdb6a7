import express from 'express'
import express4 from 'express4'
import { sealwireExpress } from '@sealwire/server/express'
import { serveNode } from './listen.js'
import { SECRET, TYPED_ROUTES, type AdapterHarness } from './spec.js'

/** The harness app on one major of Express (the API it uses is the same in 4 and 5). */
function expressHarnessOf(name: string, createApp: () => express.Express): AdapterHarness {
  return {
    name,
    streaming: true,
    trustsProxies: true,
    start(server) {
      const app = createApp()
      app.use(sealwireExpress(server))
      app.post('/echo', (req, res) => {
        res.json({ echo: req.body, claims: req.sealwire })
      })
      app.get('/items', (req, res) => {
        res.json({ claims: req.sealwire })
      })
      app.delete('/items/:id', (_req, res) => {
        res.status(204).end()
      })
      for (const [path, schema] of Object.entries(TYPED_ROUTES)) {
        app.post(path, sealwireExpress(server, { schema }), (req, res) => {
          // On a route with sealwireExpress in its own chain the claims are typed as set.
          res.status(201).json({ ok: true, to: req.body.to, amount: req.body.amount, kid: res.locals.sealwire.kid })
        })
      }
      app.all('/headers', (req, res) => {
        res.json({ headers: req.headers })
      })
      app.post('/boom', () => {
        throw new Error(SECRET)
      })
      return serveNode(app)
    },
  }
}

export const expressHarness = expressHarnessOf('express', express)
// Express 4's app has the same shape at run time; its typings are another copy of @types/express.
export const express4Harness = expressHarnessOf('express 4', express4 as unknown as () => express.Express)
