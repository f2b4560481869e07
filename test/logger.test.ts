import t from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import type { FastifyBaseLogger } from 'fastify'
import { lazyChildLogger, REDACTED_PATHS } from '../src/logger.js'

function capture (level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() }
  })
  const logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream) as unknown as FastifyBaseLogger
  return { logger, lines }
}

t.test('a request logger writes its bindings on every enabled level and redacts as before', async (t) => {
  const { logger, lines } = capture('warn')
  const log = lazyChildLogger(logger, { requestId: 'req-7' }, {})
  log.info('not written at warn')
  log.warn({ body: { password: 'hunter2' } }, 'first')
  log.error('second')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(lines.map((line) => line.msg), ['first', 'second'])
  t.same(lines.map((line) => line.requestId), ['req-7', 'req-7'])
  t.same(lines[0]?.body, { password: '[redacted]' })
})

t.test('a child of a request logger keeps the request binding and adds its own', async (t) => {
  const { logger, lines } = capture('info')
  lazyChildLogger(logger, { requestId: 'req-8' }, {}).child({ step: 'pay' }).info('nested')
  await new Promise((resolve) => setImmediate(resolve))
  t.has(lines[0], { requestId: 'req-8', step: 'pay', msg: 'nested' })
})

t.test('per-route logger options still apply (a real child at once)', async (t) => {
  const { logger, lines } = capture('warn')
  lazyChildLogger(logger, { requestId: 'req-9' }, { level: 'debug' }).debug('route at debug')
  await new Promise((resolve) => setImmediate(resolve))
  t.has(lines[0], { requestId: 'req-9', msg: 'route at debug' })
})
