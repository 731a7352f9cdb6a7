import type { Attributes, Counter, Histogram, Meter, MeterProvider } from '@opentelemetry/api'
import type { ReplayStore } from '@sealwire/core'
import type { MeterProviderLike } from './options.js'
import type { SealwireEvent } from './types.js'

/** Name of the OpenTelemetry meter the server records on. */
export const METER_NAME = '@sealwire/server'

/**
 * Buckets of the open and seal histograms, in seconds: ECDH-ES plus AES-GCM
 * takes 0.1–3 ms on a server core; a Redis round trip adds ~0.2–5 ms, and a
 * store deadline (500 ms by default) bounds the tail.
 */
const DURATION_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** What the metrics can read off a replay store, when it says (duck-typed: `size`, and `capacity` or `maxEntries`). */
interface Measurable {
  readonly size?: unknown
  readonly capacity?: unknown
  readonly maxEntries?: unknown
}

const finite = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

/**
 * The application's global MeterProvider, through the application's own copy
 * of `@opentelemetry/api`: an optional peer dependency, as OpenTelemetry asks
 * of libraries. A copy of our own would keep its own global (two API minors
 * do not share one), and a registered provider would silently get nothing.
 * Loaded on demand so that the server runs without it; undefined when absent.
 */
async function globalMeter(): Promise<Meter | undefined> {
  try {
    const api = await import('@opentelemetry/api')
    const meter = api.metrics.getMeterProvider().getMeter(METER_NAME)
    // The API's no-op meter (no provider registered): nothing would record, so no instruments.
    return meter === api.createNoopMeter() ? undefined : meter
  } catch {
    return undefined
  }
}

/**
 * @internal The engine's instruments, on the OpenTelemetry metrics API: the
 * `meterProvider` option's, or else the global provider the application
 * registered (before creating the server) — no instruments, and no cost, when
 * it registered none or does not have `@opentelemetry/api`. Attributes are
 * bounded: an outcome code from a fixed list and the event's route label.
 */
export class EngineMetrics {
  #instruments: Instruments | undefined
  /** Settles once the instruments exist (or are known not to): part of the server's `ready`. */
  readonly loaded: Promise<void>

  constructor(provider: MeterProviderLike | undefined, replayStore: ReplayStore) {
    if (provider !== undefined) {
      this.#instruments = new Instruments((provider as MeterProvider).getMeter(METER_NAME), replayStore)
      this.loaded = Promise.resolve()
    } else {
      this.loaded = globalMeter().then((meter) => {
        if (meter !== undefined) this.#instruments = new Instruments(meter, replayStore)
      })
    }
  }

  /**
   * Whether anything records: false until the instruments exist, and for good
   * without a provider. The engine then builds no per-request attributes or
   * events for them.
   */
  get recording(): boolean {
    return this.#instruments !== undefined
  }

  /** One per request, from its security event. */
  outcome(event: SealwireEvent): void {
    this.#instruments?.outcome(event)
  }

  opened(ms: number, outcome: string): void {
    this.#instruments?.open.record(ms / 1000, { outcome })
  }

  sealed(ms: number): void {
    this.#instruments?.seal.record(ms / 1000)
  }
}

class Instruments {
  readonly requests: Counter
  readonly guardBlocks: Counter
  readonly open: Histogram
  readonly seal: Histogram

  constructor(meter: Meter, replayStore: ReplayStore) {
    this.requests = meter.createCounter('sealwire.server.requests', {
      description: 'Sealwire requests by outcome: accepted, or the problem code answered',
      unit: '{request}',
    })
    this.guardBlocks = meter.createCounter('sealwire.server.guard.blocks', {
      description: 'Requests the behaviour guard answered 429 before any key agreement',
      unit: '{request}',
    })
    this.open = meter.createHistogram('sealwire.server.open.duration', {
      description: 'Time to open a request envelope (steps 4–11: key agreement, decryption, replay check)',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    this.seal = meter.createHistogram('sealwire.server.seal.duration', {
      description: 'Time to seal a response to the requester',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    const store = replayStore as Measurable
    if (finite(store.size) !== undefined) {
      meter
        .createObservableGauge('sealwire.server.replay_store.entries', { description: 'jtis the in-process replay store holds', unit: '{entry}' })
        .addCallback((result) => {
          const size = finite(store.size)
          if (size !== undefined) result.observe(size)
        })
      const capacity = () => finite(store.capacity) ?? finite(store.maxEntries)
      if (capacity() !== undefined) {
        meter
          .createObservableGauge('sealwire.server.replay_store.capacity', { description: 'Most jtis the in-process replay store may hold', unit: '{entry}' })
          .addCallback((result) => {
            const value = capacity()
            if (value !== undefined) result.observe(value)
          })
      }
    }
  }

  outcome(event: SealwireEvent): void {
    const attributes: Attributes = { outcome: event.type === 'accepted' ? 'accepted' : (event.code ?? 'rejected'), route: event.route }
    this.requests.add(1, attributes)
    if (event.code === 'too_many_failures') this.guardBlocks.add(1, { route: event.route })
  }
}
