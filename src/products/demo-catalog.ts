import { basename } from 'node:path'
import type { Database, Queryable } from '../database/types.js'

export interface DemoProduct { sku: string, name: string, description: string, priceCents: number, stock: number }

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

/** Inserts the demo catalog; products are keyed by SKU, so existing ones are left alone. Returns the number added. */
export async function insertDemoCatalog (db: Queryable): Promise<number> {
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

/**
 * `npm ci && npm start` should show a catalog in Swagger UI at once: an embedded database seeds itself when this
 * boot created it (`applied`, the migrations this boot ran, includes the first). Real PostgreSQL is seeded only by
 * `npm run seed`. Returns the number of products added, or undefined when this database is not a new embedded one.
 */
export async function seedNewEmbeddedDatabase (db: Database, applied: readonly string[]): Promise<number | undefined> {
  if (db.kind !== 'pglite' || !applied.some((file) => basename(file).startsWith('001.'))) return undefined
  return insertDemoCatalog(db)
}
