import autocannon from 'autocannon'

/** One HTTP request, replayed by every connection of the load generator. */
export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

export interface LoadSettings {
  connections: number
  seconds: number
  /** Requests per second for the whole run (a latency probe); unset = as fast as the server answers. */
  overallRate?: number
}

/** What one burst against one contender produced. */
export interface LoadFigures {
  /** Successful (2xx) responses per second: an error answered fast must not count as throughput. */
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  ok: number
  /** Responses that were not 2xx (a 429 or a 5xx makes the round suspect). */
  failed: number
  /** Connection errors and timeouts. */
  errors: number
  statusCodes: Record<string, number>
}

export const AUTOCANNON = 'autocannon 9 (programmatic API; latency in whole milliseconds)'

export async function runLoad (baseUrl: string, request: LoadRequest, settings: LoadSettings): Promise<LoadFigures> {
  const result = await autocannon({
    url: `${baseUrl}${request.path}`,
    method: request.method,
    ...(request.headers === undefined ? {} : { headers: request.headers }),
    ...(request.body === undefined ? {} : { body: request.body }),
    connections: settings.connections,
    duration: settings.seconds,
    pipelining: 1,
    ...(settings.overallRate === undefined ? {} : { overallRate: settings.overallRate })
  })
  const statusCodes: Record<string, number> = {}
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0
  return {
    requestsPerSecond: result.duration > 0 ? result['2xx'] / result.duration : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    failed: result.non2xx,
    errors: result.errors,
    statusCodes
  }
}
