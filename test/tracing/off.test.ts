import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { tracingOn, tracingRequested } from '../../src/tracing.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function offTests (t: Test): Promise<void> {
  t.test('tracing is on only when OTEL_TRACES_EXPORTER names an exporter and the SDK is not disabled', async (t) => {
    t.equal(tracingRequested({}), false, 'unset: off (the SDK itself would default to otlp)')
    t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: '' }), false)
    t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none' }), false)
    t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), false, 'an endpoint alone does not turn it on')
    t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true)
    t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: ' OTLP , console' }), true)
    t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }), false, 'the standard kill switch wins')
    t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' }), true)
  })

  t.test('with tracing off, requests carry no trace id anywhere', async (t) => {
    t.equal(tracingOn(), false)
    const built = await buildTestApp(t, { captureLogs: true })
    const { app } = built
    t.equal(app.hasRequestDecorator('traceId'), false, 'not even the decorator')
    const response = await app.inject({
      method: 'GET',
      url: '/v1/products/not-a-uuid',
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
    })
    t.equal(response.statusCode, 400)
    t.notOk('traceId' in response.json<object>(), 'no traceId member in the problem')
    const lines = built.logs.filter((line) => line.requestId === response.headers['x-request-id'])
    t.same(lines.map((line) => line.msg), ['incoming request', 'request rejected', 'request completed'], 'Fastify writes the incoming line itself')
    t.notOk(lines.some((line) => 'traceId' in line))
  })
}

await runAlone(import.meta.url, offTests)
