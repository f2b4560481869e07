/**
 * Which test files share a process in `npm test`: each group runs in the process of test/groups/<group>.test.ts
 * (test/groups/run-group.ts), its files one after another in the order listed. Groups are by topic and of similar
 * length, so that tap's two jobs stay busy until the end; test/suite-layout.test.ts checks that every test file
 * runs exactly once, in one group or on its own.
 *
 * The process-level proofs (test/process/: servers started, stopped and starved as child processes) are groups
 * too: what they stop and starve is the server process, never the test's. One file needs a process of its own
 * and is left to tap (.taprc `include`): test/tracing/order-trace.test.ts (tracing starts once per process,
 * before pg and ioredis are imported).
 */
export const GROUPS: Record<string, readonly string[]> = {
  // Sign-up, sign-in, tokens and accounts.
  accounts: [
    'test/routes/v1/auth-limits.test.ts',
    'test/plugins/admin-bootstrap.test.ts',
    'test/routes/v1/refresh-grace.test.ts',
    'test/routes/v1/users.test.ts',
    'test/routes/v1/auth.test.ts',
    'test/routes/v1/auth-busy.test.ts',
    'test/routes/v1/user-disable.test.ts',
    'test/routes/v1/auth-secrets.test.ts',
    'test/routes/v1/revocation.test.ts',
    'test/routes/v1/password-policy.test.ts',
    'test/plugins/auth.test.ts',
    'test/auth/passwords.test.ts'
  ],
  // What every request goes through: deadlines, errors, validation, headers, logs, health.
  http: [
    'test/plugins/request-deadline.test.ts',
    'test/plugins/method-not-allowed.test.ts',
    'test/plugins/logging.test.ts',
    'test/plugins/errors.test.ts',
    'test/plugins/docs.test.ts',
    'test/plugins/validation-errors.test.ts',
    'test/plugins/security.test.ts',
    'test/plugins/rate-limit.test.ts',
    'test/plugins/request-id.test.ts',
    'test/plugins/rate-limit-turn.test.ts',
    'test/plugins/compress.test.ts',
    'test/routes/health.test.ts',
    'test/routes/readiness.test.ts',
    'test/logger.test.ts'
  ],
  // The database, the caches, and the catalog and orders on top of them.
  data: [
    'test/plugins/database.test.ts',
    'test/plugins/metrics.test.ts',
    'test/plugins/housekeeping.test.ts',
    'test/routes/v1/products.test.ts',
    'test/routes/v1/products-list.test.ts',
    'test/cache/versioned.test.ts',
    'test/cache/tiered.test.ts',
    'test/cache/local-tier.test.ts',
    'test/cache/invalidation-message.test.ts',
    'test/concurrency/product-cache.test.ts',
    'test/plugins/rate-limit-shared-counters.test.ts',
    'test/database/migrate-lock.test.ts',
    'test/database/transaction-connection-lost.test.ts',
    'test/database/errors.test.ts',
    'test/database/circuit.test.ts',
    'test/pooler/pgbouncer.test.ts',
    'test/tracing/off.test.ts',
    'test/routes/v1/orders.test.ts',
    'test/routes/v1/orders-caps.test.ts',
    'test/routes/v1/orders-idempotency.test.ts',
    'test/concurrency/orders.test.ts',
    'test/concurrency/order-caps.test.ts'
  ],
  // The published contract: the OpenAPI document, docs/api.md, the typed client, the OWASP API Top 10.
  contract: [
    'test/security/owasp-api-top10.test.ts',
    'test/openapi/contract.test.ts',
    'test/security/no-store.test.ts',
    'test/docs/api-contract.test.ts',
    'test/e2e/client.test.ts',
    'test/openapi/document-agrees.test.ts',
    'test/openapi/openapi-file.test.ts',
    'test/e2e/swagger-ui.test.ts',
    'test/client/client.test.ts'
  ],
  // Hostile input: generated requests, forged tokens, malformed HTTP, path spellings, SQL built from input.
  security: [
    'test/security/fuzz.test.ts',
    'test/security/path-spellings.test.ts',
    'test/security/jwt-attacks.test.ts',
    'test/security/malformed-http.test.ts',
    'test/security/sql-injection-guard.test.ts'
  ],
  // The scripts, packaging and repository around the service; most of their time is in child processes.
  tooling: [
    'test/deploy/migrate-script.test.ts',
    'test/scripts/seed.test.ts',
    'test/deploy/k8s.test.ts',
    'test/client/schema.test.ts',
    'test/client/package.test.ts',
    'test/config.test.ts',
    'test/environment.test.ts',
    'test/docs/repository.test.ts',
    'test/deploy/k8s-release.test.ts',
    'test/deploy/k8s-pooler.test.ts',
    'test/deploy/k8s-schema.test.ts',
    'test/deploy/compose.test.ts',
    'test/deploy/dockerfile.test.ts',
    'test/docs/readme.test.ts',
    'test/runtime.test.ts',
    'test/history/check.test.ts',
    'test/suite-layout.test.ts'
  ],
  // Server processes on the real back ends (PostgreSQL and Redis only, skipped on the embedded default): replicas
  // sharing them, directly or through a pooler, and back ends that fail under a running server.
  'back-ends': [
    'test/process/scale-out.test.ts',
    'test/process/history-check.test.ts',
    'test/process/pooler-scale-out.test.ts',
    'test/process/database-gray.test.ts',
    'test/process/redis-black-hole.test.ts',
    'test/process/redis-gray.test.ts',
    'test/process/database-outage.test.ts',
    'test/process/redis-outage.test.ts'
  ],
  // One server process through its life: shutdown under load and keep-alive, a starved event loop, its logs.
  lifecycle: [
    'test/process/shutdown-keepalive.test.ts',
    'test/process/event-loop.test.ts',
    'test/process/shutdown.test.ts',
    'test/process/dev-logs.test.ts'
  ]
}
