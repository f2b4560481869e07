import { randomUUID } from 'node:crypto'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError, FastifyInstance } from 'fastify'
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '../schemas/problem.js'
import type { ProblemBody } from '../schemas/problem.js'

interface ClientProblem { status: number, slug: string, detail: string }

/** Node's parser and timeout codes that have a more precise status than 400, as Node's own fallback answers. */
const PROBLEMS_BY_CODE: Record<string, ClientProblem> = {
  HPE_HEADER_OVERFLOW: { status: 431, slug: 'request-header-fields-too-large', detail: 'The request headers are too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, slug: 'payload-too-large', detail: 'The chunk extensions are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, slug: 'request-timeout', detail: 'The request was not received in time' }
}
const MALFORMED: ClientProblem = { status: 400, slug: 'malformed-request', detail: 'The request is not valid HTTP/1.1' }

/** The response the socket is writing, if any: Node sets it per request, but the type does not know it. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null }

/** A complete HTTP/1.1 message: no request or response object exists here, only the socket (Node's clientError contract). */
function problemMessage (problem: ClientProblem, requestId: string): string {
  const body: ProblemBody = {
    type: `${PROBLEM_TYPE_BASE}${problem.slug}`,
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    requestId
  }
  const json = JSON.stringify(body)
  return [
    `HTTP/1.1 ${problem.status} ${body.title}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(json)}`,
    'connection: close',
    `x-request-id: ${requestId}`,
    '',
    json
  ].join('\r\n')
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser rejects (bad request line, bad header, headers too
 * large, a header timeout) is answered as an RFC 9457 problem instead of Fastify's plain JSON, then the connection
 * is closed: after a parse error nothing else on it can be trusted. It runs inside Node's socket error handling,
 * where a throw would take the process down, so it never throws.
 */
export function answerClientError (this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  try {
    if (socket.destroyed) return
    // A reset peer is gone: nothing to answer, nothing worth a log line.
    if (error.code === 'ECONNRESET') { socket.destroy(); return }
    const problem = PROBLEMS_BY_CODE[error.code] ?? MALFORMED
    const requestId = randomUUID()
    this.log.info({ requestId, code: error.code, status: problem.status }, 'request rejected by the HTTP parser')
    // Bytes written while a response is already on the wire would corrupt it for the client; Node's default checks the same.
    const inFlight = (socket as HttpSocket)._httpMessage?.headersSent === true
    if (!socket.writable || inFlight) { socket.destroy(); return }
    socket.end(problemMessage(problem, requestId), () => { socket.destroy() })
  } catch {
    socket.destroy()
  }
}
