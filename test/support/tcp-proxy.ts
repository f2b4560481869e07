import net from 'node:net'

/**
 * Faults the proxy injects, each the way real outages behave rather than a clean refusal:
 * - `black-hole`: bytes are dropped in both directions on every connection, open or new; nothing is reset,
 *   so a client learns of it only from its own timeouts (a partition, a dead host behind a firewall);
 * - `latency`: every chunk is delayed by `ms` plus up to `jitterMs`, order kept;
 * - `reset-mid-response`: the next chunk from the server is cut in half and the client's socket reset;
 * - `byte-limit`: the server's bytes stop after `bytes` per connection (a stuck stream, no reset).
 */
export type Fault =
  | { kind: 'black-hole' }
  | { kind: 'latency', ms: number, jitterMs: number }
  | { kind: 'reset-mid-response' }
  | { kind: 'byte-limit', bytes: number }

/**
 * A TCP proxy the test controls, placed between the app and PostgreSQL or Redis:
 * `cut()` drops every connection and refuses new ones (a clean outage), `inject()` starts a gray failure,
 * `restore()` lets everything through again.
 */
export interface TcpProxy {
  port: number
  url (scheme: string, path?: string): string
  cut (): void
  inject (fault: Fault): void
  restore (): void
  close (): Promise<void>
}

interface Link {
  client: net.Socket
  upstream: net.Socket
  /** Bytes sent from the server to the client on this connection. */
  downstreamBytes: number
  /** Delayed writes keep their order per direction. */
  queue: { up: Promise<void>, down: Promise<void> }
}

export async function startTcpProxy (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let open = true
  let fault: Fault | undefined
  const links = new Set<Link>()

  const forward = (link: Link, direction: 'up' | 'down', chunk: Buffer) => {
    const to = direction === 'up' ? link.upstream : link.client
    const current = fault
    if (current?.kind === 'black-hole') return
    if (direction === 'down' && current?.kind === 'reset-mid-response') {
      fault = undefined
      link.client.write(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))), () => { link.client.resetAndDestroy() })
      return
    }
    if (direction === 'down' && current?.kind === 'byte-limit') {
      const room = current.bytes - link.downstreamBytes
      if (room <= 0) return
      chunk = chunk.subarray(0, room)
    }
    if (direction === 'down') link.downstreamBytes += chunk.length
    if (current?.kind === 'latency') {
      const wait = current.ms + Math.random() * current.jitterMs
      link.queue[direction] = link.queue[direction].then(async () => {
        await new Promise((resolve) => setTimeout(resolve, wait))
        if (!to.destroyed) to.write(chunk)
      })
      return
    }
    if (!to.destroyed) to.write(chunk)
  }

  const server = net.createServer((client) => {
    if (!open) { client.destroy(); return }
    const upstream = net.connect(targetPort, targetHost)
    const link: Link = { client, upstream, downstreamBytes: 0, queue: { up: Promise.resolve(), down: Promise.resolve() } }
    links.add(link)
    client.on('data', (chunk: Buffer) => { forward(link, 'up', chunk) })
    upstream.on('data', (chunk: Buffer) => { forward(link, 'down', chunk) })
    for (const socket of [client, upstream]) {
      socket.on('close', () => { client.destroy(); upstream.destroy(); links.delete(link) })
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  const destroyAll = () => {
    for (const { client, upstream } of links) { client.destroy(); upstream.destroy() }
  }
  return {
    port: address.port,
    url: (scheme, path = '') => `${scheme}://127.0.0.1:${address.port}${path}`,
    cut () {
      open = false
      destroyAll()
    },
    inject (next) { fault = next },
    restore () {
      open = true
      fault = undefined
    },
    close: async () => {
      open = false
      destroyAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/**
 * A proxy in front of the service a URL names (DATABASE_URL or REDIS_URL of a test's environment), closed when the
 * test ends, and the same URL pointed at the proxy.
 */
export async function proxyInFront (t: { teardown: (fn: () => Promise<void>) => void }, url: string, defaultPort: number): Promise<{ proxy: TcpProxy, url: string }> {
  const direct = new URL(url)
  const proxy = await startTcpProxy(Number(direct.port || defaultPort), direct.hostname)
  t.teardown(async () => { await proxy.close() })
  const viaProxy = new URL(direct.toString())
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(proxy.port)
  return { proxy, url: viaProxy.toString() }
}
