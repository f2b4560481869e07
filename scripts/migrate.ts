/**
 * Applies pending migrations and exits: 0 when the schema is current, 1 otherwise.
 * Kubernetes runs it as a Job before a rollout (deploy/k8s/migrate/job.yaml), so replicas boot with
 * MIGRATE_ON_START=false and never race each other over the schema.
 */
import { basename } from 'node:path'
import { migrate } from '../src/database/migrate.js'
import { runCommand } from './cli.js'

await runCommand('migration', async (db) => {
  const applied = await migrate(db)
  return { msg: applied.length > 0 ? 'migrations applied' : 'schema already current', applied: applied.map((file) => basename(file)) }
})
