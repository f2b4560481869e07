import { connect, type Socket } from 'node:net'
import { parseResponse, type RawResponse } from './raw-http.js'

export interface SlowExchange {
  /** The answer, or undefined when the server closed without one. */
  response: RawResponse | undefined
  /** From the end of the request head to the server closing the connection. */
  closedAfterMs: number
  /** How many body chunks were written before the connection closed. */
  chunksSent: number
}

export interface SlowRequest {
  /** The request line and headers, without the blank line that ends them. */
  head: string
  /** Written one at a time, `intervalMs` apart, after the head; empty for a body that never comes. */
  chunks: string[]
  intervalMs: number
  /** The client gives up after this, so a server that never cuts the request fails the test instead of hanging it. */
  giveUpAfterMs: number
}

/** A client that sends its headers at once and its body a little at a time, as a slow-loris attacker does. */
export async function sendSlowly (port: number, request: SlowRequest): Promise<SlowExchange> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    let chunksSent = 0
    let started = 0
    let trickle: NodeJS.Timeout | undefined
    const giveUp = setTimeout(() => { socket.destroy(new Error(`the server kept the connection open ${request.giveUpAfterMs} ms`)) }, request.giveUpAfterMs)
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    // A reset after the answer arrived (the server closed while bytes were still coming) is the expected end.
    socket.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error) })
    socket.on('close', () => {
      clearTimeout(giveUp)
      clearInterval(trickle)
      const text = Buffer.concat(received).toString('utf8')
      resolve({ response: text === '' ? undefined : parseResponse(text), closedAfterMs: performance.now() - started, chunksSent })
    })
    socket.on('connect', () => {
      socket.write(`${request.head}\r\n\r\n`)
      started = performance.now()
      trickle = setInterval(() => {
        const chunk = request.chunks[chunksSent]
        if (chunk === undefined || socket.destroyed) { clearInterval(trickle); return }
        chunksSent++
        socket.write(chunk)
      }, request.intervalMs)
    })
  })
}

/** One keep-alive connection on which requests are sent one after another, each answer read by its content-length. */
export class KeepAliveConnection {
  private buffered = Buffer.alloc(0)
  private waiting: (() => void) | undefined
  closed = false

  private constructor (private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => { this.buffered = Buffer.concat([this.buffered, chunk]); this.waiting?.() })
    socket.on('close', () => { this.closed = true; this.waiting?.() })
    socket.on('error', () => {})
  }

  static async open (port: number): Promise<KeepAliveConnection> {
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
    return new KeepAliveConnection(socket)
  }

  async request (head: string, body = ''): Promise<RawResponse> {
    this.socket.write(`${head}\r\n\r\n${body}`)
    for (;;) {
      const text = this.buffered.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end !== -1) {
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0)
        if (this.buffered.length >= end + 4 + length) {
          const whole = this.buffered.subarray(0, end + 4 + length)
          this.buffered = this.buffered.subarray(end + 4 + length)
          return parseResponse(whole.toString('utf8'))
        }
      }
      if (this.closed) throw new Error('the server closed the connection before answering')
      await new Promise<void>((resolve) => { this.waiting = resolve })
    }
  }

  close (): void { this.socket.destroy() }
}
