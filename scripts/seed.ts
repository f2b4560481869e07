/**
 * Fills the catalog with demo products (`npm run seed`). Idempotent: products are keyed by SKU and existing
 * ones are left alone (ON CONFLICT (sku) DO NOTHING), so running it twice adds nothing the second time.
 * It migrates first, so a fresh database (or a fresh PGlite data dir) can be seeded in one step.
 */
import pg from 'pg'
import { ConfigError, loadConfig, type Config } from '../src/config.js'
import { migrate } from '../src/database/migrate.js'
import { openPglite } from '../src/database/pglite.js'
import { postgresDatabase, postgresPoolConfig } from '../src/database/postgres.js'
import type { Database } from '../src/database/types.js'

interface DemoProduct { sku: string, name: string, description: string, priceCents: number, stock: number }

const FAMILIES = [
  { code: 'MUG', noun: 'Mug', blurb: 'Stoneware, dishwasher safe', basePriceCents: 1200 },
  { code: 'TEE', noun: 'T-shirt', blurb: 'Organic cotton, unisex fit', basePriceCents: 2200 },
  { code: 'CAP', noun: 'Cap', blurb: 'Adjustable strap, one size', basePriceCents: 1800 },
  { code: 'BAG', noun: 'Tote bag', blurb: 'Heavy canvas, long handles', basePriceCents: 1500 },
  { code: 'NTB', noun: 'Notebook', blurb: 'A5, dotted pages, lay-flat binding', basePriceCents: 900 },
  { code: 'STK', noun: 'Sticker pack', blurb: 'Five vinyl stickers, weatherproof', basePriceCents: 400 }
]
const COLOURS = ['Black', 'White', 'Navy', 'Forest', 'Sand', 'Coral']

/** 36 products: every family in every colour, with prices and stock that vary (some sold out) for the filters. */
export function demoProducts (): DemoProduct[] {
  return FAMILIES.flatMap((family, f) => COLOURS.map((colour, c) => ({
    sku: `${family.code}-${colour.toUpperCase()}`,
    name: `${colour} ${family.noun}`,
    description: family.blurb,
    priceCents: family.basePriceCents + c * 100,
    stock: (f + c) % 5 === 0 ? 0 : 5 + ((f * 7 + c * 11) % 40)
  })))
}

async function open (config: Config): Promise<{ db: Database, close: () => Promise<void> }> {
  const { database } = config
  if (database.url === undefined) {
    const db = await openPglite(database.pgliteDataDir)
    return { db, close: async () => { await db.close() } }
  }
  const pool = new pg.Pool(postgresPoolConfig({
    connectionString: database.url,
    poolMax: 1,
    connectTimeoutMs: database.connectTimeoutMs,
    statementTimeoutMs: database.statementTimeoutMs
  }))
  return { db: postgresDatabase(pool), close: async () => { await pool.end() } }
}

export async function seed (db: Database): Promise<number> {
  await migrate(db)
  const products = demoProducts()
  const { rowCount } = await db.query(
    `INSERT INTO products (sku, name, description, price_cents, stock)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[])
     ON CONFLICT (sku) DO NOTHING`,
    [
      products.map((product) => product.sku),
      products.map((product) => product.name),
      products.map((product) => product.description),
      products.map((product) => product.priceCents),
      products.map((product) => product.stock)
    ]
  )
  return rowCount
}

function report (line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`)
}

async function main (): Promise<number> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) { process.stderr.write(`${error.message}\n`); return 1 }
    throw error
  }
  const { db, close } = await open(config)
  try {
    const inserted = await seed(db)
    report({ level: 'info', msg: 'catalog seeded', inserted, total: demoProducts().length })
    return 0
  } finally {
    await close()
  }
}

process.exitCode = await main().catch((error: unknown) => {
  report({ level: 'error', msg: 'seeding failed', err: error instanceof Error ? error.message : String(error) })
  return 1
})
