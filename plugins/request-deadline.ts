import { PassThrough } from 'node:stream'
import type { IncomingHttpHeaders } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify'
import { RequestTimeoutError } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while this request's body may still be arriving; null for requests without one. */
    receiveDeadline: ReceiveDeadline | null
  }
}

/** Methods whose body Fastify never reads: the answer may go out while the body is still arriving. */
const BODY_IGNORED = new Set(['GET', 'HEAD', 'TRACE'])

/** RFC 9112 §6.3: with neither content-length nor transfer-encoding a request has no body. */
function announcesBody (headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** After the answer is written, the connection is closed: its unread body bytes cannot start a new request. */
function closeOnceAnswered (request: FastifyRequest, reply: FastifyReply): void {
  const response = reply.raw
  // Destroying an incomplete request destroys its socket; it also works for app.inject's stand-in request.
  const destroy = (): void => { request.raw.destroy() }
  if (!response.headersSent) reply.header('connection', 'close')
  if (response.writableFinished) destroy()
  else response.once('finish', destroy)
}

/** Node's parser sets `complete` once the last body byte is in; app.inject's request only ends. */
function received (request: FastifyRequest): boolean {
  return request.raw.complete || request.raw.readableEnded
}

/**
 * One request's deadline for receiving its body, counted from when its headers arrived. Node's own
 * `requestTimeout` does not end a body that trickles in (a byte a second ran past 60 s on Node 20 and 24 with
 * Fastify 5.12), so the process applies the deadline itself.
 */
export class ReceiveDeadline {
  /** The stream Fastify reads the body from: failing it turns into a 408 problem through the error handler. */
  private reading: PassThrough | undefined
  /** preParsing has run: if nothing reads the body now, nothing will. */
  private parsingBegan = false
  /** The deadline passed while onRequest hooks still ran; preParsing answers 408 at once. */
  private expired = false
  private readonly timer: NodeJS.Timeout

  constructor (private readonly request: FastifyRequest, private readonly reply: FastifyReply, private readonly timeoutMs: number) {
    this.timer = setTimeout(() => { this.expire() }, Math.max(0, timeoutMs - reply.elapsedTime))
    // Never what keeps the process alive, and gone as soon as the body is read or the request aborted.
    this.timer.unref()
    const stop = (): void => { clearTimeout(this.timer) }
    request.raw.once('end', stop).once('close', stop)
  }

  /** preParsing: hands Fastify a stream this deadline can fail without destroying the socket (which would prevent any answer). */
  payloadFor (payload: RequestPayload): RequestPayload {
    this.parsingBegan = true
    if (this.expired) throw new RequestTimeoutError(this.timeoutMs)
    if (received(this.request)) {
      clearTimeout(this.timer)
      return payload
    }
    if (BODY_IGNORED.has(this.request.method)) return payload
    const reading = new PassThrough()
    // Fastify listens for errors only while it reads; one after that must not become an uncaught exception.
    reading.on('error', () => {})
    // pipe() does not pass errors on: without this, a client leaving mid-body would leave Fastify waiting forever.
    payload.once('error', (error) => { reading.destroy(error) })
    payload.pipe(reading)
    this.reading = reading
    return reading
  }

  private expire (): void {
    if (received(this.request)) return
    // A timer callback that threw would take the whole process down; at worst this request is not cut.
    try {
      this.request.log.info({ timeoutMs: this.timeoutMs }, 'request not received in time')
      // Whoever answers (the 408 below, preParsing's 408, or a handler that never read the body) closes the connection.
      closeOnceAnswered(this.request, this.reply)
      // Answered without reading the body (415, 413 by content-length, a GET): closing is all that is left.
      if (this.reply.raw.headersSent) return
      if (this.reading !== undefined) this.reading.destroy(new RequestTimeoutError(this.timeoutMs))
      else if (!this.parsingBegan) this.expired = true
    } catch (error) {
      this.request.log.error({ err: error }, 'request deadline failed')
    }
  }
}

/** Enforces REQUEST_TIMEOUT_MS on request bodies; requests without a body cost one header check. */
async function requestDeadlinePlugin (fastify: FastifyInstance): Promise<void> {
  const timeoutMs = fastify.config.requestTimeoutMs
  fastify.decorateRequest('receiveDeadline', null)

  fastify.addHook('onRequest', (request, reply, done) => {
    // A body that came in the packet of its headers is complete by now: no timer for it.
    if (announcesBody(request.headers) && !received(request)) request.receiveDeadline = new ReceiveDeadline(request, reply, timeoutMs)
    done()
  })

  // Registered before any other preParsing hook (compress's decompression among them), so it wraps the raw body.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const deadline = request.receiveDeadline
    if (deadline === null) { done(null, payload); return }
    try {
      done(null, deadline.payloadFor(payload))
    } catch (error) {
      done(error as Error)
    }
  })
}

export default fp(requestDeadlinePlugin, { name: 'request-deadline', dependencies: ['config', 'errors'] })
