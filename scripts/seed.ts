/**
 * Fills the catalog with demo products (`npm run seed`). Idempotent: products are keyed by SKU and existing
 * ones are left alone, so running it twice adds nothing the second time. It migrates first, so a fresh
 * database (or a fresh PGlite data dir) can be seeded in one step.
 */
import { migrate } from '../src/database/migrate.js'
import { demoProducts, insertDemoCatalog } from '../src/products/demo-catalog.js'
import { runCommand } from './cli.js'

await runCommand('seeding', async (db) => {
  await migrate(db)
  return { msg: 'catalog seeded', inserted: await insertDemoCatalog(db), total: demoProducts().length }
})
