import t from 'tap'
import { buildTestApp } from '../helper.js'

const { app } = await buildTestApp(t)

t.test('liveness answers ok without touching a dependency', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

t.test('readiness reports database and cache', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.equal(body.status, 'ok')
  t.equal(body.checks.database.status, 'up')
  t.type(body.checks.database.latencyMs, 'number')
  t.equal(body.checks.cache.status, 'up')
})
