import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { tracingOn } from '../src/tracing.js'
import { usesPrettyLogs } from '../src/logger.js'
import { writeIncomingRequest } from '../src/request-log.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's trace id (32 hex digits) when tracing is on (src/tracing.ts); undefined otherwise. */
    traceId: string | undefined
  }
}

/**
 * With tracing on, every log line of a request and its problem answer carry the trace id, so a line found in the
 * logs leads to its trace and back. @fastify/otel (set up by src/tracing.ts on every Fastify instance as it is
 * created) starts the request span in the first onRequest hook, continuing an incoming `traceparent`; this
 * plugin's hook, registered next, reads the id. With tracing off it adds nothing, not even the decorator.
 */
async function tracingPlugin (fastify: FastifyInstance) {
  if (!tracingOn()) return
  const { trace } = await import('@opentelemetry/api')
  const pretty = usesPrettyLogs(fastify.config)
  fastify.decorateRequest('traceId', undefined)
  fastify.addHook('onRequest', function bindTraceId (request, reply, done) {
    const traceId = trace.getActiveSpan()?.spanContext().traceId
    if (traceId !== undefined) {
      request.traceId = traceId
      // Fastify gives request and reply the same child logger; both must get the binding.
      request.log = request.log.child({ traceId })
      reply.log = request.log
    }
    writeIncomingRequest(pretty, request, reply)
    done()
  })
}

export default fp(tracingPlugin, { name: 'tracing', dependencies: ['config'] })
