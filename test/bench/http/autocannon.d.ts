/** The part of autocannon's API the HTTP benchmark uses (the package ships no typings). */
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
      setupRequest?: (request: Record<string, unknown>, context: Record<string, unknown>) => Record<string, unknown>
    }
    interface Options {
      url: string
      connections?: number
      duration?: number
      maxOverallRequests?: number
      requests?: Request[]
    }
    interface Histogram {
      p50: number
      p99: number
    }
    interface Result {
      duration: number
      '2xx': number
      non2xx: number
      errors: number
      timeouts: number
      latency: Histogram
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>
  export default autocannon
}
