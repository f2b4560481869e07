import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { readiness } from '../../src/health/readiness.js'
import { Live, Readiness as Ready } from '../../schemas/health.js'
import { success } from '../../schemas/responses.js'

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/live', {
    // Never shed (and, outside /v1, never rate limited): a busy process is still alive, and restarting it would not help.
    config: { pressureHandler: () => undefined },
    schema: {
      tags: ['health'],
      summary: 'Liveness: the process answers; checks no dependency',
      description: 'For the orchestrator\'s liveness probe: never shed, never rate limited.',
      response: { 200: success(Live, 'The process answers') }
    }
  }, async () => ({ status: 'ok' as const }))

  for (const url of ['/ready', '/']) {
    fastify.get(url, {
      schema: {
        tags: ['health'],
        summary: url === '/' ? 'Same as /health/ready' : 'Readiness: database answers within 1 s (cache outage = degraded; 503 while shutting down)',
        description: 'For the orchestrator\'s readiness probe: 503 takes this replica out of the load balancer.',
        response: {
          200: success(Ready, 'Ready: status ok, or degraded when only the cache is down'),
          503: success(Ready, 'Not ready: the database does not answer, or shutdown has begun')
        }
      }
    }, async (_request, reply) => {
      const result = await readiness(fastify)
      return reply.code(result.status === 'fail' ? 503 : 200).send(result)
    })
  }
}

export default health
