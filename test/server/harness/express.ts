import express from 'express'
import { sealwireExpress } from '@sealwire/server/express'
import { serveNode } from './listen.js'
import { SECRET, Transfer, type AdapterHarness } from './spec.js'

export const expressHarness: AdapterHarness = {
  name: 'express',
  streaming: true,
  trustsProxies: true,
  start(server) {
    const app = express()
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
    app.post('/typed', sealwireExpress(server, { schema: Transfer }), (req, res) => {
      res.status(201).json({ ok: true, to: req.body.to, amount: req.body.amount })
    })
    app.all('/headers', (req, res) => {
      res.json({ headers: req.headers })
    })
    app.post('/boom', () => {
      throw new Error(SECRET)
    })
    return serveNode(app)
  },
}
