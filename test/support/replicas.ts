import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { serverEnv, startServer, type ServerProcess } from './server-process.js'

const MIGRATE_SCRIPT = fileURLToPath(new URL('../../dist/scripts/migrate.js', import.meta.url))

export interface ReplicaOptions {
  /** Replicas to start (default 3). */
  count?: number
  /** Settings on top of the test back ends (rate limits, timeouts). */
  env?: Record<string, string>
  /** Applied after the migration ran, to the replicas only: e.g. DATABASE_URL and REDIS_URL through a fault proxy. */
  replicaEnv?: Record<string, string>
}

/**
 * Replicas of the built server on one PostgreSQL database and one Redis prefix, deployed as Kubernetes does it:
 * the migration script runs first, the replicas boot with MIGRATE_ON_START=false.
 */
export async function startReplicas (t: Test, options: ReplicaOptions = {}): Promise<ServerProcess[]> {
  const baseEnv = { ...await serverEnv(t, { env: options.env ?? {} }), MIGRATE_ON_START: 'false' }
  await promisify(execFile)(process.execPath, [MIGRATE_SCRIPT], { env: { PATH: process.env.PATH ?? '', ...baseEnv } })
  const replicas: ServerProcess[] = []
  // One at a time: booting three at once on two cores only makes each boot slower.
  for (let i = 0; i < (options.count ?? 3); i++) replicas.push(await startServer(t, { baseEnv: { ...baseEnv, ...options.replicaEnv } }))
  return replicas
}

/** The balancer: request n goes to replica n mod the number of replicas. */
export const roundRobin = (replicas: ServerProcess[], n: number) => replicas[n % replicas.length] as ServerProcess
