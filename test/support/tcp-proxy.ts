import net from 'node:net'

/**
 * A TCP proxy the test controls, placed between the app and PostgreSQL or Redis:
 * `cut()` drops every connection and refuses new ones (an outage), `restore()` lets them through again.
 */
export interface TcpProxy {
  port: number
  url (scheme: string, path?: string): string
  cut (): void
  restore (): void
  close (): Promise<void>
}

export async function startTcpProxy (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let open = true
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    if (!open) { client.destroy(); return }
    const upstream = net.connect(targetPort, targetHost)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    port: address.port,
    url: (scheme, path = '') => `${scheme}://127.0.0.1:${address.port}${path}`,
    cut () {
      open = false
      for (const socket of sockets) socket.destroy()
    },
    restore () { open = true },
    close: async () => {
      open = false
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
