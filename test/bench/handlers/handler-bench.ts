/**
 * Sealwire's serverless adapters without a network: the Lambda adapter called
 * with API Gateway HTTP API (payload 2.0) events, the fetch adapter with
 * `Request`s, each in a loop of awaited calls in this process, against the
 * floor in the same shape (floor-handlers.ts). The events and Requests are
 * built before the measured loop from envelopes sealed for it (each sent once:
 * a resent one is a replay), so the loop times the handler alone.
 */
import type { JsonWebKey } from 'node:crypto'
import { generateKeyPair, importRecipientKey, type Curve } from '@sealwire/core'
import { createSealwireServer } from '@sealwire/server'
import { withSealwire } from '@sealwire/server/fetch'
import { sealwireLambda, type LambdaHttpEvent } from '@sealwire/server/lambda'

import { countHeapAllocation } from '../heap-allocation.js'
import { BENCH_ROUTE } from '../http/contract.js'
import { BENCH_CURVES, sealPool } from '../http/load.js'
import { floorFetch, floorLambda } from './floor-handlers.js'

export const HANDLER_SHAPES = ['lambda', 'fetch'] as const
export type HandlerShape = (typeof HANDLER_SHAPES)[number]

export interface HandlerCaseSpec {
  shape: HandlerShape
  mode: 'floor' | 'sealwire'
  curve: Curve
}

/** One measured loop of one handler. */
export interface HandlerRun {
  callsPerSecond: number
  calls: number
  /** Calls answered 200 (every other status counts as a failure). */
  ok: number
  /** This process's CPU time per call over the loop. */
  cpuMicrosPerCall: number
  /** Bytes allocated on the V8 heap per call over the loop (heap-allocation.ts). */
  heapBytesPerCall: number
  /** The envelopes ran out before the loop's duration (its rate still holds). */
  stoppedEarly: boolean
}

export interface HandlerCase extends HandlerCaseSpec {
  run: HandlerRun
  /** With several rounds: every round's loop (`run` is the median one), and the calls not answered 200 over all of them. */
  rounds?: HandlerRun[]
  failedCalls?: number
}

const ORIGIN = 'https://api.example.com'

/**
 * An HTTP API event as API Gateway sends it for `POST /echo` with an envelope
 * (the members the adapter reads, and the usual others), as the Lambda runtime
 * hands it over: parsed from JSON. Its strings are then flat, as in a real
 * invocation; the envelope as sealRequest returns it is a concatenation, which
 * whichever side touched it first would pay to flatten (~6 µs for 1.4 K characters).
 */
export function echoEvent(envelope: string): LambdaHttpEvent {
  return JSON.parse(JSON.stringify(eventOf(envelope))) as LambdaHttpEvent
}

function eventOf(envelope: string): LambdaHttpEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: BENCH_ROUTE,
    rawQueryString: '',
    headers: { 'content-type': 'application/jose', 'content-length': String(envelope.length), host: 'api.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'user-agent': 'bench' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: BENCH_ROUTE, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' },
      requestId: 'request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
    },
    body: envelope,
    isBase64Encoded: false,
  }
}

/** A `Request` for `POST /echo` with an envelope, as a fetch platform hands it over. */
export const echoRequest = (envelope: string): Request => new Request(`${ORIGIN}${BENCH_ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: envelope })

/** The handler under test, taking what `input` builds and resolving the answer's status. */
type Call = (input: never) => Promise<number>

async function handlerOf({ shape, mode }: HandlerCaseSpec, privateJwk: JsonWebKey): Promise<{ call: Call; input: (envelope: string) => unknown }> {
  const server = mode === 'sealwire' ? createSealwireServer({ keys: [privateJwk as never], singleInstance: true }) : undefined
  await server?.ready
  if (shape === 'lambda') {
    // The app as a Lambda function would write it: the body it got, back as JSON.
    const handler =
      server === undefined
        ? floorLambda(privateJwk)
        : sealwireLambda(server, async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event.sealwire.body) }))
    return { call: async (event: LambdaHttpEvent) => (await handler(event, {})).statusCode, input: echoEvent }
  }
  const handler = server === undefined ? floorFetch(privateJwk) : withSealwire(server, (request) => Response.json(request.sealwire.body))
  return { call: async (request: Request) => (await handler(request)).status, input: echoRequest }
}

/** Awaited calls, one after the other, until `seconds` pass or the inputs run out. */
async function drive(call: Call, inputs: unknown[], seconds: number): Promise<HandlerRun> {
  // Each loop starts on a collected heap: it pays for its own garbage, not the previous one's.
  ;(globalThis as { gc?: () => void }).gc?.()
  const cpuBefore = process.cpuUsage()
  const stopCounting = countHeapAllocation()
  const started = performance.now()
  const deadline = started + seconds * 1000
  let calls = 0
  let ok = 0
  while (calls < inputs.length) {
    const input = inputs[calls] as never
    inputs[calls++] = undefined // sent once; let it go
    if ((await call(input)) === 200) ok++
    if (performance.now() >= deadline) break
  }
  const elapsed = performance.now() - started
  const heapBytes = stopCounting()
  const { user, system } = process.cpuUsage(cpuBefore)
  return {
    callsPerSecond: calls / (elapsed / 1000),
    calls,
    ok,
    cpuMicrosPerCall: (user + system) / Math.max(calls, 1),
    heapBytesPerCall: heapBytes / Math.max(calls, 1),
    stoppedEarly: calls === inputs.length && performance.now() < deadline,
  }
}

/** One side of a pair, warmed up: its handler, and how to seal inputs for it. */
interface Side {
  spec: HandlerCaseSpec
  call: Call
  inputs: (count: number) => Promise<unknown[]>
  warmup: HandlerRun
}

async function sideOf(spec: HandlerCaseSpec, seconds: number): Promise<Side> {
  const keys = await generateKeyPair(spec.curve)
  const { call, input } = await handlerOf(spec, keys.privateJwk as unknown as JsonWebKey)
  const recipient = await importRecipientKey(keys.publicJwk)
  const inputs = async (count: number) => (await sealPool(recipient, count)).map(input)
  // A warm-up of a few hundred calls; its rate sizes the pool, with room to spare.
  const warmup = await drive(call, await inputs(300), seconds)
  return { spec, call, inputs, warmup }
}

/**
 * The floor and Sealwire of one shape and curve, measured back to back: both
 * warmed up and both pools sealed first, then the two loops one right after
 * the other (Sealwire's first when `sealwireFirst`), so that a drift of the
 * machine's speed lands on both sides of their ratio. Sealing a pool takes
 * longer than the loop it feeds: sealed between the two loops, it put seconds
 * between them.
 */
export async function benchHandlerPair(shape: HandlerShape, curve: Curve, seconds: number, sealwireFirst = false): Promise<[floor: HandlerCase, sealwire: HandlerCase]> {
  const sides = [await sideOf({ shape, mode: 'floor', curve }, seconds), await sideOf({ shape, mode: 'sealwire', curve }, seconds)] as const
  const pools: unknown[][] = []
  for (const side of sides) pools.push(await side.inputs(Math.ceil(side.warmup.callsPerSecond * seconds * 1.5) + 100))
  const runs: HandlerRun[] = []
  for (const i of sealwireFirst ? [1, 0] : [0, 1]) runs[i] = await drive(sides[i]!.call, pools[i]!, seconds)
  return [
    { ...sides[0].spec, run: runs[0]! },
    { ...sides[1].spec, run: runs[1]! },
  ]
}

/** Every handler case, per shape and curve the floor and Sealwire next to each other (the order benchHandlerPair runs them in). */
export function handlerCases(curves: readonly Curve[] = BENCH_CURVES): HandlerCaseSpec[] {
  return HANDLER_SHAPES.flatMap((shape) => curves.flatMap((curve) => (['floor', 'sealwire'] as const).map((mode) => ({ shape, mode, curve }))))
}
