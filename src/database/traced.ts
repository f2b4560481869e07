import type { Database } from './types.js'

/**
 * With tracing on, each transaction is a span of its own, so a trace reads route → transaction → statements
 * (BEGIN, each statement, COMMIT: the pg instrumentation's spans) instead of a flat list of statements.
 * Imported by plugins/database.ts only when tracing is on.
 */
export async function withTransactionSpans (db: Database): Promise<Database> {
  const { trace, SpanStatusCode } = await import('@opentelemetry/api')
  const tracer = trace.getTracer('fastify-shop-api')
  const attributes = { 'db.system.name': db.kind === 'pglite' ? 'pglite' : 'postgresql' }
  return {
    ...db,
    async transaction (fn) {
      // Like the pg instrumentation (requireParentSpan): migrations and the hourly purge belong to no request.
      if (trace.getActiveSpan() === undefined) return db.transaction(fn)
      return tracer.startActiveSpan('transaction', { attributes }, async (span) => {
        try {
          return await db.transaction(fn)
        } catch (error) {
          // A rolled-back transaction is what an operator looks for (a 409 on stock, a lost connection).
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
          throw error
        } finally {
          span.end()
        }
      })
    }
  }
}
