import type { LoadFigures } from './load.js'
import type { MachineInfo } from './machine.js'
import type { BenchSettings } from './settings.js'

export type Role = 'service' | 'traced' | 'pooled' | 'compare' | 'ceiling' | 'express' | 'pgbench' | 'pgbench-previous' | 'probe'
export type Reference = 'ceiling' | 'express' | 'pgbench' | 'service'

export interface ContenderResult {
  name: string
  role: Role
  rounds: LoadFigures[]
  /** Medians of the per-round figures. */
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Medians of the per-round ratios to each reference measured in the same rounds. */
  ratios: Partial<Record<Reference, number>>
  failed: number
  errors: number
}

export interface ScenarioResult {
  key: string
  title: string
  skipped?: string
  contenders: ContenderResult[]
  notes: string[]
}

export interface BenchReport {
  label: string
  date: string
  machine: MachineInfo
  backend: string
  tool: string
  pinning: string
  settings: Omit<BenchSettings, 'scenarios'> & { scenarios: string[] | 'all' }
  service: {
    coldBootMs: number
    warmBootMs: number
    peakRssDuringScenario1Kb: number | undefined
    peakRssNote: string
  }
  scenarios: ScenarioResult[]
  notes: string[]
}

const fixed = (value: number, digits: number) => Number.isFinite(value) ? value.toFixed(digits) : '—'

function ratioCell (contender: ContenderResult, reference: Reference): string {
  if (contender.role === reference) return 'ref'
  const ratio = contender.ratios[reference]
  return ratio === undefined ? '—' : fixed(ratio, 2)
}

export function toMarkdown (report: BenchReport): string {
  const lines: string[] = []
  const { machine, settings, service } = report
  lines.push(`# Benchmark results: ${report.label}`, '')
  lines.push(`- date: ${report.date}`)
  lines.push(`- machine: ${machine.nproc} CPUs, ${machine.cpuModel}, Node ${machine.node}, 1-min load average at start ${machine.loadAverageAtStart}`)
  lines.push(`- back end: ${report.backend}`)
  lines.push(`- load tool: ${report.tool}`)
  lines.push(`- pinning: ${report.pinning}`)
  lines.push(`- method: warm-up ${settings.warmupSeconds} s per contender, then ${settings.rounds} interleaved rounds × ${settings.seconds} s (order rotates each round), ${settings.connections} connections; figures are medians of per-round figures, ratios are medians of per-round ratios`)
  lines.push(`- service boot-to-ready (spawn → /health/ready 200): cold ${fixed(service.coldBootMs, 0)} ms (new database: ${report.backend.startsWith('embedded') ? 'PGlite initdb, ' : ''}migrations, admin bootstrap; unpinned), warm ${fixed(service.warmBootMs, 0)} ms (existing database; pinned like the run)`)
  const rss = service.peakRssDuringScenario1Kb
  lines.push(`- service peak RSS during scenario 1: ${rss === undefined ? 'not measured' : `${fixed(rss / 1024, 1)} MiB`} (${service.peakRssNote})`)
  lines.push('')
  // The ÷ service column only when the run had a contender measured against the service (--tracing).
  const byService = report.scenarios.some((scenario) => scenario.contenders.some((contender) => contender.ratios.service !== undefined))
  lines.push(`| scenario | contender | req/s | p50 ms | p99 ms | ÷ ceiling | ÷ Express | ÷ pgbench |${byService ? ' ÷ service |' : ''} non-2xx / errors |`)
  lines.push(`|---|---|---:|---:|---:|---:|---:|---:|${byService ? '---:|' : ''}---:|`)
  for (const scenario of report.scenarios) {
    if (scenario.skipped !== undefined) {
      lines.push(`| ${scenario.key}. ${scenario.title} | skipped: ${scenario.skipped} | | | | | | |${byService ? ' |' : ''} |`)
      continue
    }
    for (const contender of scenario.contenders) {
      const rate = contender.role === 'probe' ? `(${fixed(contender.requestsPerSecond, 0)} paced)` : fixed(contender.requestsPerSecond, 0)
      lines.push(`| ${scenario.key}. ${scenario.title} | ${contender.name} | ${rate} | ${fixed(contender.p50Ms, 2)} | ${fixed(contender.p99Ms, 2)} | ` +
        `${ratioCell(contender, 'ceiling')} | ${ratioCell(contender, 'express')} | ${ratioCell(contender, 'pgbench')} | ` +
        `${byService ? `${ratioCell(contender, 'service')} | ` : ''}${contender.failed} / ${contender.errors} |`)
    }
  }
  const notes = [...report.scenarios.flatMap((scenario) => scenario.notes.map((note) => `scenario ${scenario.key}: ${note}`)), ...report.notes]
  if (notes.length > 0) {
    lines.push('', '## Notes', '')
    for (const note of notes) lines.push(`- ${note}`)
  }
  lines.push('')
  return lines.join('\n')
}
