/**
 * The seed stack this service replaces, written as a competent Express user would: Express 5 + helmet + cors +
 * compression + express.json + express-rate-limit (memory store, limit as high as the service's) + jsonwebtoken
 * for the bearer route + Zod-validated input. Same database, same SQL, same response bytes as the service.
 * Usage: PORT=… JWT_SECRET=… DATABASE_URL=…|PGLITE_DATA_DIR=… node --import tsx bench/baselines/express.ts
 */
import express, { type NextFunction, type Request, type Response } from 'express'
import helmet from 'helmet'
import cors from 'cors'
import compression from 'compression'
import { rateLimit } from 'express-rate-limit'
import jwt from 'jsonwebtoken'
import { z } from 'zod'
import { openBaselineDatabase } from './database.js'
import { FIND_LIVE_PRODUCT_SQL } from '../../src/products/repository.js'
import { PROBLEM_MEDIA_TYPE } from '../../schemas/problem.js'
import { OrderBody, placeOrder, StockShortage, UnknownProduct } from './express-orders.js'

const env = process.env
const db = await openBaselineDatabase(env)
const CACHE_TTL_MS = Number(env.CACHE_TTL_SECONDS ?? 60) * 1000
const JWT_SECRET = env.JWT_SECRET ?? ''
const JWT_ISSUER = env.JWT_ISSUER ?? 'fastify-shop-api'
const JWT_AUDIENCE = env.JWT_AUDIENCE ?? 'fastify-shop-api:clients'

interface ProductRow {
  id: string
  sku: string
  name: string
  description: string
  price_cents: number
  stock: number
  version: number
  created_at: Date
  updated_at: Date
}

const productCache = new Map<string, { body: object, etag: string, expiresAt: number }>()

const IdParams = z.object({ id: z.uuid() })

class HttpError extends Error {
  constructor (readonly status: number, message: string) { super(message) }
}

interface AuthenticatedRequest extends Request {
  userId?: string
}

function requireUser (request: AuthenticatedRequest, _response: Response, next: NextFunction): void {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')
  if (match?.[1] === undefined) throw new HttpError(401, 'Missing bearer token')
  try {
    const claims = jwt.verify(match[1], JWT_SECRET, { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE })
    if (typeof claims === 'string' || typeof claims.sub !== 'string') throw new Error('no subject')
    request.userId = claims.sub
  } catch {
    throw new HttpError(401, 'Invalid or expired access token')
  }
  next()
}

const app = express()
app.use(helmet())
app.use(cors({ origin: (env.CORS_ORIGINS ?? '').split(',').filter((origin) => origin !== ''), maxAge: 600 }))
app.use(compression({ threshold: 1024 }))
app.use(express.json({ limit: '1mb' }))

app.get('/health/live', (_request, response) => { response.json({ status: 'ok' }) })

const v1 = express.Router()
v1.use(rateLimit({ windowMs: 60_000, limit: Number(env.RATE_LIMIT_MAX ?? 100), standardHeaders: 'draft-6', legacyHeaders: false }))

v1.get('/products/:id', async (request, response) => {
  const parsed = IdParams.safeParse(request.params)
  if (!parsed.success) throw new HttpError(400, parsed.error.message)
  const { id } = parsed.data
  let cached = productCache.get(id)
  if (cached === undefined || cached.expiresAt < Date.now()) {
    const [row] = await db.query<ProductRow>(FIND_LIVE_PRODUCT_SQL, [id])
    if (row === undefined) throw new HttpError(404, 'Product not found')
    cached = {
      // Same fields in the same order as the service's Product schema, so the bytes match.
      body: {
        id: row.id,
        sku: row.sku,
        name: row.name,
        description: row.description,
        priceCents: row.price_cents,
        stock: row.stock,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString()
      },
      etag: `"${row.id}-${row.version}"`,
      expiresAt: Date.now() + CACHE_TTL_MS
    }
    productCache.set(id, cached)
  }
  response.set('etag', cached.etag).json(cached.body)
})

v1.post('/orders', requireUser, async (request: AuthenticatedRequest, response) => {
  const parsed = OrderBody.safeParse(request.body)
  if (!parsed.success) throw new HttpError(400, parsed.error.message)
  try {
    const order = await placeOrder(db, request.userId ?? '', parsed.data)
    // Orders move stock: drop the cached copies, as the service does.
    for (const item of parsed.data.items) productCache.delete(item.productId)
    response.status(201).location(`/v1/orders/${order.id}`).json(order)
  } catch (error) {
    if (error instanceof StockShortage) throw new HttpError(409, error.message)
    if (error instanceof UnknownProduct) throw new HttpError(422, error.message)
    throw error
  }
})

app.use('/v1', v1)

app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
  // body-parser's errors (malformed JSON, too large) carry their own 4xx status.
  const status = error instanceof HttpError ? error.status : statusOf(error)
  const detail = error instanceof HttpError || status < 500 ? (error as Error).message : 'Internal server error'
  response.status(status).type(PROBLEM_MEDIA_TYPE).json({ title: detail, status, detail })
})

function statusOf (error: unknown): number {
  const status = (error as { status?: unknown }).status
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500
}

const server = app.listen(Number(env.PORT ?? 3200), '127.0.0.1')
process.once('SIGTERM', () => {
  server.close(() => { db.close().then(() => process.exit(0), () => process.exit(1)) })
  server.closeAllConnections()
})
