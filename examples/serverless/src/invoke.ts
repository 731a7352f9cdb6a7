// `pnpm invoke`: the Lambda handler driven by the sample event
// (events/post-transfer.json), in process. The real client seals a transfer;
// each request becomes an API Gateway event built from the sample; the
// handler's result goes back to the client. Then the same event is invoked
// again — a replay — and refused. Keys: a fresh pair for this run.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from '@sealwire/client'
import type { LambdaHttpEvent, LambdaHttpResult } from '@sealwire/server/lambda'
import { createLambdaHandler } from './lambda.js'
import { lambdaFetch, responseFromResult } from './lambda-fetch.js'

const short = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s)
const file = process.argv[2] ?? fileURLToPath(new URL('../events/post-transfer.json', import.meta.url))
const template = JSON.parse(await readFile(file, 'utf8')) as LambdaHttpEvent

// One handler in this one process: its memory store sees the replay.
const handler = await createLambdaHandler({ singleInstance: true })
const invocations: Array<{ event: LambdaHttpEvent; result: LambdaHttpResult }> = []
const api = createClient({
  baseUrl: `https://${template.requestContext.domainName}`,
  fetch: lambdaFetch(handler, template, (event, result) => invocations.push({ event, result })),
})

const transfer = { to: 'alice', amount: 42 }
console.log(`Sample event: ${file}`)
console.log(`Client: POST /api/transfer ${JSON.stringify(transfer)}`)
const answer = await api.post('/api/transfer', transfer)

for (const { event, result } of invocations) {
  console.log(`\ninvoke: ${event.requestContext.http.method} ${event.rawPath}${event.body ? `  body ${short(event.body)}` : ''}`)
  console.log(`result: ${result.statusCode} ${result.headers?.['content-type']}  ${short(result.body ?? '')}`)
}
console.log(`\nClient opened the answer: ${JSON.stringify(answer)}`)

// A replay: the very same event, invoked again.
const captured = invocations.at(-1)!.event
const replayed = await handler(captured, {})
console.log(`\nReplay of the same event: ${replayed.statusCode} ${replayed.headers?.['content-type']} (sealed to the original sender)`)
const ok = responseFromResult(replayed).status === 409 && (answer as { ok?: boolean }).ok === true
console.log(ok ? 'As expected: the transfer went through once, its replay was refused.' : 'NOT as expected.')
process.exit(ok ? 0 : 1)
