export interface CacheStats {
  hits: number
  misses: number
  errors: number
}

/** A JSON value store with TTLs; a failure is a miss, never an error for the caller. */
export interface Cache {
  readonly kind: 'redis' | 'memory'
  get<T>(key: string): Promise<T | undefined>
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>
  del(...keys: string[]): Promise<void>
  /**
   * Adds 1 to a counter and returns the new value; the first increment starts its TTL (a fixed window).
   * undefined when the store failed: callers must then not limit, as with a miss.
   */
  incr(key: string, ttlSeconds: number): Promise<number | undefined>
  /** Round-trip check for readiness: true when the store answers. */
  ping(): Promise<boolean>
  readonly stats: Readonly<CacheStats>
}
