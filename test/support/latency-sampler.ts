import { httpCall } from './server-process.js'

export interface LatencySummary { samples: number, failures: number, p50: number, p99: number, max: number }

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
}

/**
 * Requests `url` over and over from `concurrency` loops until stopped, each on a new connection, and keeps how
 * long each answer took: the liveness probe's view of the event loop while something else goes wrong.
 */
export function sampleLatency (url: string, concurrency = 2): { stop: () => Promise<LatencySummary> } {
  const durations: number[] = []
  let failures = 0
  const state = { running: true }
  const loop = async () => {
    while (state.running) {
      const started = performance.now()
      const answer = await httpCall(url, { timeoutMs: 10_000 }).catch(() => undefined)
      if (answer?.status === 200) durations.push(performance.now() - started)
      else failures++
    }
  }
  const loops = Array.from({ length: concurrency }, loop)
  return {
    stop: async () => {
      state.running = false
      await Promise.all(loops)
      const sorted = [...durations].sort((a, b) => a - b)
      const round = (ms: number) => Math.round(ms * 10) / 10
      return { samples: sorted.length, failures, p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted.at(-1) ?? NaN) }
    }
  }
}
