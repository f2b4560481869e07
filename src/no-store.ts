import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * onSend hook for routes that answer with tokens or personal data: no cache, shared or private, may keep the
 * answer (RFC 9111 §5.2.2.5; RFC 6749 §5.1 requires it on token responses). An onSend hook of the route plugin
 * runs for every answer of its routes, errors from earlier hooks (401, 429) included.
 */
export function forbidStoring<Payload> (_request: FastifyRequest, reply: FastifyReply, payload: Payload, done: (error: Error | null, payload: Payload) => void): void {
  reply.header('cache-control', 'no-store')
  done(null, payload)
}
