import type { SpanProcessor } from '@opentelemetry/sdk-trace'

/**
 * OpenTelemetry traces (docs/tracing.md). Off unless the operator names a trace exporter: with
 * OTEL_TRACES_EXPORTER unset (or `none`, or OTEL_SDK_DISABLED=true) nothing of OpenTelemetry is even imported,
 * so the default costs nothing. Every other setting is the SDK's own OTEL_* variable, read by the SDK.
 */
export function tracingRequested (environment: NodeJS.ProcessEnv = process.env): boolean {
  if (environment.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  const exporters = (environment.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase())
  return exporters.some((name) => name !== '' && name !== 'none')
}

export interface Tracing {
  /** Ends the SDK: spans still buffered are exported (bounded by OTEL_BSP_EXPORT_TIMEOUT). */
  shutdown(): Promise<void>
}

export interface TracingOptions {
  /** Instead of the exporters named by OTEL_TRACES_EXPORTER (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[]
}

const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/

let running = false

/** Whether this process traces: OpenTelemetry's providers are process-wide, so this fact is too. */
export function tracingOn (): boolean {
  return running
}

/**
 * Starts the SDK with the Fastify, pg and ioredis instrumentations. The last two patch their modules when those
 * are loaded, so this must run before anything imports `pg` or `ioredis` (src/server.ts imports the app after it).
 * Traces only: metrics have /metrics (prom-client) and logs go to stdout, so the SDK's OTLP metric and log
 * exporters, on by default in the SDK, stay off.
 */
export async function startTracing (options: TracingOptions = {}): Promise<Tracing> {
  const [{ NodeSDK }, { FastifyOtelInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@fastify/otel'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis')
  ])
  const sdk = new NodeSDK({
    instrumentations: [
      // Registered on every Fastify instance as it is created, before any other plugin: its onRequest hook,
      // which starts the request span from an incoming `traceparent`, is then the first to run.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // A span per hook would be ~15 per request, most of them empty. preHandler hooks (auth, the per-account
        // order limit) do I/O after the body was read; a wrapped hook runs in the request's context whatever
        // the body stream's events carried. onRequest hooks inherit it from the hook that starts the request span.
        instrumentHooks: ['preHandler'],
        // Probes and scrapes arrive every few seconds from every replica: traced, they would outnumber the real
        // requests in the backend (their log lines are left out for the same reason, src/request-log.ts).
        ignorePaths: ({ url }) => UNTRACED_PATHS.test(url),
        // `request` alone says nothing in a trace list; the route template does, without ids or query values.
        requestHook: (span, request) => { span.updateName(`${request.method} ${request.routeOptions.url ?? 'unknown route'}`) }
      }),
      // requireParentSpan: pool checks and migrations at boot are not part of any request; they would each be
      // a trace of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true })
    ],
    ...(options.spanProcessors === undefined ? {} : { spanProcessors: options.spanProcessors }),
    metricReaders: [],
    logRecordProcessors: []
  })
  sdk.start()
  running = true
  return {
    shutdown: async () => {
      running = false
      await sdk.shutdown()
    }
  }
}
