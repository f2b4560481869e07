import { availableParallelism, cpus, loadavg } from 'node:os'

export interface MachineInfo {
  nproc: number
  cpuModel: string
  node: string
  /** 1-minute load average when the run began: above ~0.5 something else is using the machine. */
  loadAverageAtStart: number
}

export function describeMachine (): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadAverageAtStart: Number((loadavg()[0] ?? 0).toFixed(2))
  }
}
