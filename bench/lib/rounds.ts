import { runLoad, type LoadFigures, type LoadRequest } from './load.js'
import { runPgbench } from './pgbench.js'
import type { ContenderResult, Role, ScenarioResult } from './report.js'
import type { Contender, HttpContender, ScenarioPlan } from './scenarios.js'
import type { BenchSettings } from './settings.js'
import { median, perRoundRatios, rotate } from './stats.js'
import { runWrk } from './wrk.js'

export interface RoundContext {
  settings: BenchSettings
  /** wrk's version when it is the load tool; autocannon otherwise. */
  wrk: string | undefined
  loadCore: number | undefined
  log: (message: string) => void
}

async function measure (context: RoundContext, contender: Contender, request: LoadRequest, seconds: number, connections: number): Promise<LoadFigures> {
  const { settings, wrk, loadCore } = context
  if (contender.kind === 'pgbench') {
    return runPgbench({
      databaseUrl: contender.databaseUrl,
      script: contender.script,
      variables: contender.variables,
      clients: settings.pgbenchClients,
      seconds: Math.max(1, Math.round(seconds)),
      pinToCore: loadCore
    })
  }
  if (wrk !== undefined) return runWrk(contender.server.baseUrl, request, { connections, seconds }, loadCore)
  return runLoad(contender.server.baseUrl, request, { connections, seconds })
}

/**
 * Warm-up, then `rounds` rounds of one burst per contender in a rotating order; medians of per-round figures
 * and of per-round ratios to each reference (ceiling, Express, pgbench) measured in the same round.
 */
export async function runScenario (plan: ScenarioPlan, context: RoundContext): Promise<ScenarioResult> {
  const { settings, log } = context
  const { request } = plan
  if (plan.skipped !== undefined || request === undefined) {
    log(`scenario ${plan.key} ${plan.title}: skipped: ${plan.skipped ?? 'no request'}`)
    return { key: plan.key, title: plan.title, skipped: plan.skipped ?? 'no request', contenders: [], notes: plan.notes }
  }
  for (const contender of plan.contenders) {
    if (contender.kind === 'http') plan.notes.push(...await checkAnswer(contender, request))
  }
  log(`scenario ${plan.key} ${plan.title}: warm-up ${settings.warmupSeconds} s per contender`)
  if (settings.warmupSeconds > 0) {
    for (const contender of plan.contenders) await measure(context, contender, request, settings.warmupSeconds, plan.connections)
  }
  const rounds = new Map<string, LoadFigures[]>(plan.contenders.map((contender) => [contender.name, []]))
  const probeRounds: LoadFigures[] = []
  const probeTarget = plan.contenders.find((contender): contender is HttpContender => contender.kind === 'http' && contender.role === 'service')
  for (let round = 0; round < settings.rounds; round++) {
    for (const contender of rotate(plan.contenders, round)) {
      const probing = plan.probe !== undefined && contender === probeTarget
        ? runLoad(probeTarget.server.baseUrl, plan.probe, { connections: 1, seconds: settings.seconds, overallRate: settings.probeRate })
        : undefined
      const figures = await measure(context, contender, request, settings.seconds, plan.connections)
      rounds.get(contender.name)?.push(figures)
      if (probing !== undefined) probeRounds.push(await probing)
    }
    const summary = plan.contenders.map((contender) => `${contender.name.split(' ')[0] ?? ''} ${Math.round(rounds.get(contender.name)?.at(-1)?.requestsPerSecond ?? 0)}`)
    log(`  round ${round + 1}/${settings.rounds}: ${summary.join(', ')} req/s`)
  }

  const reference = (role: Role) => {
    const found = plan.contenders.find((contender) => contender.role === role)
    return found === undefined ? undefined : (rounds.get(found.name) ?? []).map((figures) => figures.requestsPerSecond)
  }
  // ÷ service only for another build (traced, compare): the service's own figures against each other say nothing.
  const references = { ceiling: reference('ceiling'), express: reference('express'), pgbench: reference('pgbench'), service: reference('service') }
  const contenders: ContenderResult[] = plan.contenders.map((contender) => {
    const figures = rounds.get(contender.name) ?? []
    const rates = figures.map((figure) => figure.requestsPerSecond)
    const ratios: ContenderResult['ratios'] = {}
    for (const [name, referenceRates] of Object.entries(references) as Array<[keyof typeof references, number[] | undefined]>) {
      if (referenceRates === undefined || contender.role === name) continue
      if (name === 'service' && contender.role !== 'traced' && contender.role !== 'compare') continue
      ratios[name] = median(perRoundRatios(rates, referenceRates))
    }
    return summarise(contender.name, contender.role, figures, ratios)
  })
  const direct = reference('service')
  const pooled = reference('pooled')
  if (direct !== undefined && pooled !== undefined) {
    plan.notes.push(`through PgBouncer ÷ direct: ${median(perRoundRatios(pooled, direct)).toFixed(2)} (median of per-round ratios, same database, same load)`)
  }
  const previousSql = reference('pgbench-previous')
  if (direct !== undefined && previousSql !== undefined) {
    plan.notes.push(`service ÷ pgbench (previous SQL): ${median(perRoundRatios(direct, previousSql)).toFixed(2)} (median of per-round ratios)`)
  }
  if (direct !== undefined) {
    for (const contender of plan.contenders.filter((candidate) => candidate.role === 'compare')) {
      plan.notes.push(abLine(contender.name, perRoundRatios(direct, (rounds.get(contender.name) ?? []).map((figures) => figures.requestsPerSecond))))
    }
  }
  if (plan.probe !== undefined) contenders.push(summarise('service /health/live probe during login load', 'probe', probeRounds, {}))
  for (const contender of contenders) {
    const empty = contender.rounds.filter((figures) => figures.ok === 0).length
    if (empty > 0) plan.notes.push(`${contender.name}: ${empty} round(s) completed no request at all (latency longer than the round?): raise BENCH_SECONDS or check the machine`)
    if (contender.failed > 0 || contender.errors > 0) {
      const codes = contender.rounds.flatMap((figures) => Object.entries(figures.statusCodes)).filter(([code]) => !code.startsWith('2'))
      const statuses = contender.failed > 0 ? ` (${[...new Set(codes.map(([code]) => code))].join(', ')})` : ''
      plan.notes.push(`${contender.name}: ${contender.failed} non-2xx${statuses} and ${contender.errors} connection errors or timeouts across all rounds: treat its figures with suspicion`)
    }
  }
  return { key: plan.key, title: plan.title, contenders, notes: plan.notes }
}

/** The A/B of --compare: this build ÷ the other, per round, with its median and range. */
function abLine (name: string, ratios: number[]): string {
  const range = ratios.length === 0 ? '—' : `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`
  return `A/B service ÷ ${name}: median ${median(ratios).toFixed(2)}, range ${range} over ${ratios.length} rounds (per round: ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')})`
}

/** One request before the load: a contender that answers an error would otherwise post a fast, meaningless figure. */
async function checkAnswer (contender: HttpContender, request: LoadRequest): Promise<string[]> {
  try {
    const response = await fetch(`${contender.server.baseUrl}${request.path}`, {
      method: request.method,
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(10_000)
    })
    const body = await response.text()
    if (response.ok) return []
    return [`WARNING: ${contender.name} answered ${response.status} before the load: ${body.slice(0, 300)}`]
  } catch (error) {
    return [`WARNING: ${contender.name} did not answer before the load: ${(error as Error).message}`]
  }
}

function summarise (name: string, role: Role, rounds: LoadFigures[], ratios: ContenderResult['ratios']): ContenderResult {
  return {
    name,
    role,
    rounds,
    requestsPerSecond: median(rounds.map((figures) => figures.requestsPerSecond)),
    p50Ms: median(rounds.map((figures) => figures.p50Ms)),
    p99Ms: median(rounds.map((figures) => figures.p99Ms)),
    ratios,
    failed: rounds.reduce((sum, figures) => sum + figures.failed, 0),
    errors: rounds.reduce((sum, figures) => sum + figures.errors, 0)
  }
}
