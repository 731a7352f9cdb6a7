import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics'

/** A pull reader: `collect()` on demand, nothing exported in the background. */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * A real OpenTelemetry SDK meter provider whose current values a test can
 * read: `sum('sealwire.server.requests', { outcome: 'accepted' })`.
 */
export class TestMetrics {
  readonly reader = new PullReader()
  readonly provider = new MeterProvider({ readers: [this.reader] })

  async #points(name: string): Promise<DataPoint<unknown>[]> {
    const { resourceMetrics } = await this.reader.collect()
    return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]))
  }

  /** Sum of a counter's (or gauge's) points whose attributes include `match`. */
  async sum(name: string, match: Record<string, string> = {}): Promise<number> {
    const points = await this.#points(name)
    return points.filter((p) => matches(p.attributes, match)).reduce((total, p) => total + (p.value as number), 0)
  }

  /** Count of values a histogram recorded, over points whose attributes include `match`. */
  async count(name: string, match: Record<string, string> = {}): Promise<number> {
    const points = await this.#points(name)
    return points.filter((p) => matches(p.attributes, match)).reduce((total, p) => total + (p.value as Histogram).count, 0)
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown()
  }
}

function matches(attributes: Record<string, unknown>, match: Record<string, string>): boolean {
  return Object.entries(match).every(([k, v]) => attributes[k] === v)
}
