/**
 * What a developer sees in the terminal: with LOG_FORMAT=pretty, one readable line per request (not JSON,
 * not Fastify's two multi-line entries), and at boot the database in use, the Swagger UI URL and how to get
 * an admin account. Runs the built server, as `npm start` would at a terminal.
 */
import type { Test } from 'tap'
import { httpCall, startServer } from '../support/server-process.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function devLogsTests (t: Test): Promise<void> {
  t.test('LOG_FORMAT=pretty: one line per request; boot says where the docs are and how to get an admin', async (t) => {
    const server = await startServer(t, { env: { LOG_FORMAT: 'pretty' } })
    t.equal((await httpCall(`${server.url}/v1/products?limit=1`, { headers: { 'x-request-id': 'pretty-1' } })).status, 200)
    t.equal((await httpCall(`${server.url}/v1/nothing-here`)).status, 404)
    await server.stop()

    const lines = server.stdout().split('\n').filter((line) => line.trim() !== '')
    t.equal(lines.filter((line) => line.trimStart().startsWith('{')).length, 0, 'no JSON line')
    const requestLines = lines.filter((line) => line.includes('/v1/products?limit '))
    t.equal(requestLines.length, 1, `one line for the request:\n${requestLines.join('\n')}`)
    // The query's names, never its values (src/log-url.ts).
    t.match(requestLines[0], /pretty-1 GET \/v1\/products\?limit → 200 in \d+\.\d ms/)
    // A rejected request adds the reason (the problem's detail) to its one completion line.
    t.equal(lines.filter((line) => /GET \/v1\/nothing-here → 404/.test(line)).length, 1, 'a 404 completes in one line too')
    t.ok(lines.some((line) => /configuration .*embedded PostgreSQL|configuration .*PostgreSQL at/.test(line)), 'the back ends are named at boot')
    t.ok(lines.some((line) => line.includes(`Swagger UI: http://127.0.0.1:${server.port}/docs`)), 'the docs URL is printed')
    t.ok(lines.some((line) => line.includes('ADMIN_EMAIL and ADMIN_PASSWORD')), 'how to get an admin is printed')
  })
}

await runAlone(import.meta.url, devLogsTests)
