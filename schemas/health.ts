import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './common.js'

/** The states of the database circuit breaker (src/database/circuit.ts); open means requests answer 503 at once. */
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const
export type CircuitStatus = typeof CIRCUIT_STATES[number]

/** Where the cache lives: Redis (REDIS_URL) or process memory (src/cache). */
export const CACHE_KINDS = ['redis', 'memory'] as const
export type CacheKind = typeof CACHE_KINDS[number]

export const Live = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })

/** The body of GET /health/ready; src/health/readiness.ts builds it. */
export const Readiness = Type.Object({
  status: StringEnum(['ok', 'degraded', 'fail']),
  checks: Type.Object({
    database: Type.Object({
      status: StringEnum(['up', 'down']),
      latencyMs: Type.Optional(Type.Number()),
      // The circuit breaker in front of the database: open means requests answer 503 at once (docs/reliability.md).
      circuit: StringEnum(CIRCUIT_STATES)
    }),
    cache: Type.Object({
      status: StringEnum(['up', 'down']),
      kind: StringEnum(CACHE_KINDS)
    })
  })
}, { $id: 'Readiness' })
export type Readiness = Static<typeof Readiness>
