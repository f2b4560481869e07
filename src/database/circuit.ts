import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel'
import { ServiceUnavailableError } from '../errors.js'
import { isConnectionFailure } from './errors.js'
import type { Database, Queryable, QueryOptions, QueryResult } from './types.js'
import type { CircuitStatus } from '../../schemas/health.js'

export type { CircuitStatus }

export interface CircuitOptions {
  /** Consecutive connection failures or timeouts that open the circuit. */
  threshold: number
  /** How long an open circuit fails fast before one request is let through as a probe. */
  cooldownMs: number
  /** Pool size: a wait for a connection while every one of them is busy is overload, not an outage. */
  poolMax: number
}

/** pg-pool's message for both a connect that timed out and a wait for a free connection that did. */
const POOL_TIMEOUT = 'timeout exceeded when trying to connect'

export interface DatabaseCircuit {
  status (): CircuitStatus
  /** Times the circuit opened since boot (a counter for metrics). */
  readonly opened: number
}

const STATUS: Record<CircuitState, CircuitStatus> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  // Isolated is a manual override this service never uses; it fails fast like an open circuit.
  [CircuitState.Isolated]: 'open'
}

/**
 * A database that stopped answering costs every request the full connect or query timeout (2 s and 6 s by
 * default), and a pool of such requests piles up behind it. After `threshold` consecutive connection failures
 * or timeouts the circuit opens: requests answer 503 at once, without a connection attempt, for `cooldownMs`;
 * then one request (or readiness probe) goes through, and its outcome closes the circuit or opens it again.
 * Answers the database gave (a constraint, a serialization failure, a statement timeout) say it is alive and
 * never count.
 */
export function guardDatabase (db: Database, options: CircuitOptions, onChange: (status: CircuitStatus) => void): { db: Database, circuit: DatabaseCircuit } {
  // A full pool of busy connections (200 orders queued on one row) times out the waiters with the same message as
  // a database that cannot be reached; only the second may open the circuit, or overload would become an outage.
  // Busy means established: against a silent database the pool fills with connect attempts that never complete,
  // and counting those as busy kept the circuit closed through an outage whenever traffic filled the pool.
  const saturated = (): boolean => {
    const { established, idle } = db.poolStats()
    return established >= options.poolMax && idle === 0
  }
  const counts = (error: Error): boolean => isConnectionFailure(error) && !(error.message.includes(POOL_TIMEOUT) && saturated())
  const policy: CircuitBreakerPolicy = circuitBreaker(handleWhen(counts), {
    halfOpenAfter: options.cooldownMs,
    breaker: new ConsecutiveBreaker(options.threshold)
  })
  let opened = 0
  policy.onBreak(() => { opened++ })
  policy.onStateChange((state) => { onChange(STATUS[state]) })
  const retryAfterSeconds = Math.max(1, Math.ceil(options.cooldownMs / 1000))

  const unavailable = () => new ServiceUnavailableError('The database is unavailable, retry later', retryAfterSeconds)

  async function guarded<T> (fn: () => Promise<T>): Promise<T> {
    // cockatiel queues every caller behind the half-open probe; against a silent database that is one more full
    // timeout for all of them. Only the probe waits: the others fail fast as if the circuit were still open.
    if (policy.state === CircuitState.HalfOpen) throw unavailable()
    try {
      return await policy.execute(fn)
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw unavailable()
      throw error
    }
  }

  const query = async <Row>(sql: string, params?: readonly unknown[], queryOptions?: QueryOptions): Promise<QueryResult<Row>> =>
    guarded(async () => db.query<Row>(sql, params, queryOptions))

  return {
    db: {
      kind: db.kind,
      query,
      // The whole transaction is one call: its failure counts once, and an open circuit refuses it before BEGIN.
      transaction: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => guarded(async () => db.transaction(fn)),
      execScript: async (sql: string) => { await guarded(async () => db.execScript(sql)) },
      poolStats: () => db.poolStats(),
      close: async () => db.close()
    },
    circuit: {
      status: () => STATUS[policy.state],
      get opened () { return opened }
    }
  }
}
