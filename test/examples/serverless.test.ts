// examples/serverless: the Fetch handler served by node:http over real HTTP,
// and the Lambda handler invoked with API Gateway events built from the sample
// event (events/post-transfer.json), sealed by the real client and by core.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { openResponse, sealRequest, importRecipientKey } from '@sealwire/core'
import type { LambdaHttpEvent } from '@sealwire/server/lambda'
import { describe, expect, it } from 'vitest'
import { createFetchHandler, createLambdaHandler, lambdaFetch, serveFetch } from '../../examples/serverless/src/index.js'
import { describeSealedApi, repoRoot } from './support.js'

const exampleDir = join(repoRoot, 'examples/serverless')
const sampleEvent = async () => JSON.parse(await readFile(join(exampleDir, 'events/post-transfer.json'), 'utf8')) as LambdaHttpEvent

describeSealedApi('examples/serverless, the Fetch handler on node:http', async () => {
  const served = await serveFetch(await createFetchHandler({ allowInsecureLoopback: true, singleInstance: true }), { port: 0 })
  return { url: served.url, fetch: globalThis.fetch, close: served.close }
})

describeSealedApi('examples/serverless, the Lambda handler invoked with events from the sample', async () => {
  const template = await sampleEvent()
  return { url: `https://${template.requestContext.domainName}`, fetch: lambdaFetch(await createLambdaHandler({ singleInstance: true }), template), close: async () => {} }
}, { buffered: true })

describe('examples/serverless specifics', () => {
  it('the Fetch handler keeps requireTls: plain HTTP is refused unless the loopback exception is asked for', async () => {
    const served = await serveFetch(await createFetchHandler({ singleInstance: true }), { port: 0 })
    try {
      const res = await fetch(`${served.url}/api/ping`, { headers: { 'sealwire-envelope': 'x.y.z.w.v' } })
      expect(res.status).toBe(403)
      expect(((await res.json()) as { code: string }).code).toBe('insecure_transport')
    } finally {
      await served.close()
    }
  })

  it('the sample event, its body sealed by core: accepted once, its replay refused, an http front door refused', async () => {
    const handler = await createLambdaHandler({ singleInstance: true })
    const template = await sampleEvent()
    const jwksResult = await handler({ ...template, rawPath: '/.well-known/sealwire/jwks.json', requestContext: { ...template.requestContext, http: { ...template.requestContext.http, method: 'GET' } } })
    expect(jwksResult.statusCode).toBe(200)
    const jwks = JSON.parse(jwksResult.body!) as { keys: Array<{ crv: string }> }
    const recipient = await importRecipientKey(jwks.keys.find((k) => k.crv === 'P-256')!)

    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: template.rawPath }, body: { to: 'alice', amount: 42 } })
    const event: LambdaHttpEvent = { ...template, body: sealed.httpBody!, requestContext: { ...template.requestContext, timeEpoch: Date.now() } }
    const first = await handler(event)
    expect(first.statusCode).toBe(200)
    expect(first.headers?.['content-type']).toBe('application/jose')
    const opened = await openResponse(first.body!, { reply: sealed.reply, status: 200 })
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toEqual({ ok: true })

    const replay = await handler(event)
    expect(replay.statusCode).toBe(409)
    const refusal = await openResponse(replay.body!, { reply: sealed.reply, status: 409 })
    expect(JSON.parse(new TextDecoder().decode(refusal.body))).toMatchObject({ code: 'replayed_request' })

    const fresh = await sealRequest({ recipient, request: { method: 'POST', target: template.rawPath }, body: { to: 'alice', amount: 42 } })
    const insecure = await handler({ ...event, body: fresh.httpBody!, headers: { ...event.headers, 'x-forwarded-proto': 'http' } })
    expect(insecure.statusCode).toBe(403)
    expect(JSON.parse(insecure.body!)).toMatchObject({ code: 'insecure_transport' })
  })

  it('a trigger that is not an HTTP API event is a deployment mistake, said loudly', async () => {
    const handler = await createLambdaHandler({ singleInstance: true })
    await expect(handler({ Records: [] } as unknown as LambdaHttpEvent)).rejects.toThrow(/payload format 2\.0/)
  })

  it('pnpm invoke (dist/invoke.js) drives the handler with the sample event and exits 0', async () => {
    const run = promisify(execFile)
    await run(join(repoRoot, 'node_modules/.bin/tsup'), ['--silent'], { cwd: exampleDir, timeout: 240_000 })
    const { stdout } = await run(process.execPath, [join(exampleDir, 'dist/invoke.js')], { cwd: exampleDir, timeout: 60_000 })
    expect(stdout).toContain('events/post-transfer.json')
    expect(stdout).toMatch(/invoke: POST \/api\/transfer {2}body eyJ/)
    expect(stdout).toMatch(/result: 200 application\/jose/)
    expect(stdout).toContain('Client opened the answer: {"ok":true}')
    expect(stdout).toContain('Replay of the same event: 409 application/jose')
    expect(stdout).toContain('As expected')
  }, 300_000)

  it('the deployable entry refuses to start without SEALWIRE_PRIVATE_JWKS', async () => {
    const previous = process.env.SEALWIRE_PRIVATE_JWKS
    delete process.env.SEALWIRE_PRIVATE_JWKS
    try {
      await expect(import('../../examples/serverless/src/lambda-entry.js')).rejects.toThrow(/SEALWIRE_PRIVATE_JWKS is not set/)
    } finally {
      if (previous !== undefined) process.env.SEALWIRE_PRIVATE_JWKS = previous
    }
  })
})
