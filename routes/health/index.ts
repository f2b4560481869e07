import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { readiness } from '../../src/health/readiness.js'

const Live = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('fail')]),
  checks: Type.Object({
    database: Type.Object({
      status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
      latencyMs: Type.Optional(Type.Number()),
      // The circuit breaker in front of the database: open means requests answer 503 at once (docs/reliability.md).
      circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')])
    }),
    cache: Type.Object({
      status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
      kind: Type.Union([Type.Literal('redis'), Type.Literal('memory')])
    })
  })
}, { $id: 'Readiness' })

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/live', {
    // Never shed (and, outside /v1, never rate limited): a busy process is still alive, and restarting it would not help.
    config: { pressureHandler: () => undefined },
    schema: { tags: ['health'], summary: 'Liveness: the process answers; checks no dependency', response: { 200: Live } }
  }, async () => ({ status: 'ok' as const }))

  for (const url of ['/ready', '/']) {
    fastify.get(url, {
      schema: {
        tags: ['health'],
        summary: url === '/' ? 'Same as /health/ready' : 'Readiness: database answers within 1 s (cache outage = degraded; 503 while shutting down)',
        response: { 200: Ready, 503: Ready }
      }
    }, async (_request, reply) => {
      const result = await readiness(fastify)
      return reply.code(result.status === 'fail' ? 503 : 200).send(result)
    })
  }
}

export default health
