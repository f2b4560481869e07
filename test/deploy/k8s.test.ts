import { access, readdir, readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { parse } from 'yaml'
import { EnvSchema, loadConfig } from '../../src/config.js'
import { buildTestApp } from '../helper.js'
import { containers, effectiveEnv, one, podSpec, readManifests, type Container, type Manifest } from '../support/k8s-manifest.js'
import { kubectlSkip, renderRelease } from '../support/kustomize.js'
import { runAlone } from '../support/test-file.js'

const DIR = new URL('../../deploy/k8s/', import.meta.url)
/** The example Secret stands in for the real one (created from a secret store, never applied from the repository). */
const exampleSecret = one(await readManifests(new URL('secret.example.yaml', DIR)), 'Secret')

/** The rendered app, with the example Secret beside it so that envFrom resolves as in a cluster. */
async function release () {
  const { app, migrate } = await renderRelease()
  const deployment = one(app, 'Deployment')
  const api = podSpec(deployment).containers[0] as Container
  const jobContainer = podSpec(one(migrate, 'Job')).containers[0] as Container
  const podEnv = effectiveEnv(api, [...app, exampleSecret])
  return { app, migrate, deployment, pod: podSpec(deployment), api, jobContainer, podEnv, configMap: one(app, 'ConfigMap') }
}

const containerPort = (api: Container, port: string | number) =>
  typeof port === 'number' ? port : api.ports?.find((p) => p.name === port)?.containerPort

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function k8sTests (t: Test): Promise<void> {
  t.test('every file in deploy/k8s belongs to its directory\'s kustomization, except the example Secret', async (t) => {
    // pooler/: the optional PgBouncer overlay, checked by k8s-pooler.test.ts.
    t.same((await readdir(DIR)).sort(), ['app', 'migrate', 'pooler', 'release', 'secret.example.yaml'])
    for (const dir of ['app', 'migrate', 'release']) {
      const kustomization = parse(await readFile(new URL(`${dir}/kustomization.yaml`, DIR), 'utf8')) as
        { resources?: string[], components?: string[], configMapGenerator?: Array<{ envs?: string[] }> }
      const used = [...(kustomization.resources ?? []), ...(kustomization.configMapGenerator ?? []).flatMap((g) => g.envs ?? [])]
      const files = (await readdir(new URL(`${dir}/`, DIR))).filter((file) => file !== 'kustomization.yaml')
      t.same(used.sort(), files.sort(), `${dir}: every file is used, every used file exists`)
      if (dir !== 'release') t.same(kustomization.components, ['../release'], `${dir}: image and config come from ../release`)
    }
    t.match(exampleSecret.stringData?.JWT_SECRET, /CHANGE-ME/, 'the example secret is visibly a placeholder')
  })

  t.test('probes point at the app\'s real health routes on its listening port', { skip: kubectlSkip }, async (t) => {
    const { api, podEnv } = await release()
    const { app } = await buildTestApp(t)
    const probes = { startupProbe: api.startupProbe, readinessProbe: api.readinessProbe, livenessProbe: api.livenessProbe }
    for (const [name, probe] of Object.entries(probes)) {
      t.ok(probe !== undefined, `${name} is set`)
      const path = probe?.httpGet.path ?? ''
      t.ok(app.hasRoute({ method: 'GET', url: path }), `${name} path ${path} is a route`)
      t.equal((await app.inject({ method: 'GET', url: path })).statusCode, 200, `${name} answers 200 on a healthy app`)
      t.equal(containerPort(api, probe?.httpGet.port ?? ''), loadConfig(podEnv).port, `${name} port is the one the app listens on`)
    }
    t.equal(api.livenessProbe?.httpGet.path, '/health/live', 'liveness checks no dependency')
    t.equal(api.readinessProbe?.httpGet.path, '/health/ready', 'readiness checks the database')
  })

  t.test('the http container port is the app\'s PORT, default included', { skip: kubectlSkip }, async (t) => {
    const { api, podEnv } = await release()
    t.equal(containerPort(api, 'http'), Number(podEnv.PORT ?? EnvSchema.properties.PORT.default))
    t.equal(containerPort(api, 'http'), EnvSchema.properties.PORT.default)
  })

  t.test('kubernetes waits for the whole graceful shutdown before killing a pod', { skip: kubectlSkip }, async (t) => {
    const { api, pod, podEnv } = await release()
    const config = loadConfig(podEnv)
    const command = api.lifecycle?.preStop?.exec?.command ?? []
    const sleep = command[0] === 'sleep' ? Number(command[1]) : Number.NaN
    t.ok(sleep > 0, 'preStop sleeps so endpoints are removed before the server drains')
    const budgetSeconds = sleep + (config.shutdownDrainDelayMs + config.shutdownTimeoutMs) / 1000
    t.ok((pod.terminationGracePeriodSeconds ?? 30) > budgetSeconds,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds ?? 30} > ${budgetSeconds}`)
  })

  t.test('replicas boot without migrating; the migration Job does it with the same environment', { skip: kubectlSkip }, async (t) => {
    const { api, jobContainer, podEnv } = await release()
    t.equal(podEnv.MIGRATE_ON_START, 'false')
    t.equal(loadConfig(podEnv).database.migrateOnStart, false)
    t.same(jobContainer.envFrom, api.envFrom)
    const script = jobContainer.command?.[1] ?? ''
    t.same(jobContainer.command, ['node', 'dist/scripts/migrate.js'])
    await t.resolves(access(new URL(`../../${script.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`, import.meta.url)), 'its source exists')
  })

  t.test('configuration comes from the ConfigMap and the Secret and boots a production config', { skip: kubectlSkip }, async (t) => {
    const { api, configMap, podEnv } = await release()
    t.same(api.envFrom, [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: exampleSecret.metadata.name } }])
    const config = loadConfig(podEnv)
    t.equal(config.isProduction, true)
    t.ok(config.database.url !== undefined && config.redis.url !== undefined, 'shared PostgreSQL and Redis: replicas share rate limits and cache')
    for (const key of ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']) t.notOk(key in (configMap.data ?? {}), `${key} is not in the ConfigMap`)
  })

  t.test('/metrics and /docs are not reachable through the Service', { skip: kubectlSkip }, async (t) => {
    const { app, deployment, api, podEnv } = await release()
    const metricsPort = Number(podEnv.METRICS_PORT)
    t.ok(Number.isInteger(metricsPort) && metricsPort !== loadConfig(podEnv).port, 'METRICS_PORT is set, apart from PORT')
    t.equal(containerPort(api, 'metrics'), metricsPort, 'the container port named metrics is METRICS_PORT')
    const annotations = deployment.spec?.template?.metadata.annotations ?? {}
    t.equal(annotations['prometheus.io/scrape'], 'true')
    t.equal(Number(annotations['prometheus.io/port']), metricsPort, 'Prometheus scrapes the metrics port')
    t.equal(annotations['prometheus.io/path'], '/metrics')
    const services = app.filter((manifest: Manifest) => manifest.kind === 'Service')
    t.ok(services.length > 0)
    for (const service of services) {
      const targets = (service.spec?.ports ?? []).map((port) => containerPort(api, port.targetPort))
      t.same(targets, [containerPort(api, 'http')], `${service.metadata.name} targets the http port only`)
      t.notOk(service.spec?.ports?.some((port) => port.port === metricsPort || port.targetPort === 'metrics'), 'no Service carries the metrics port')
    }
    t.equal(podEnv.DOCS_ENABLED, 'false', 'DOCS_ENABLED is "false"')
    t.equal(loadConfig(podEnv).docsEnabled, false, '/docs and /docs/json are not registered')
  })

  t.test('the containers are locked down', { skip: kubectlSkip }, async (t) => {
    const { app, migrate, api, pod } = await release()
    t.equal(pod.securityContext?.runAsNonRoot, true)
    t.not(pod.securityContext?.runAsUser, 0)
    for (const { container } of containers([...app, ...migrate])) {
      t.equal(container.securityContext?.readOnlyRootFilesystem, true, `${container.name}: read-only root`)
      t.equal(container.securityContext?.allowPrivilegeEscalation, false, `${container.name}: no privilege escalation`)
      t.same(container.securityContext?.capabilities?.drop, ['ALL'], `${container.name}: no capabilities`)
      t.ok(container.resources?.requests?.cpu !== undefined && container.resources.requests.memory !== undefined, `${container.name}: requests`)
      t.ok(container.resources?.limits?.cpu !== undefined && container.resources.limits.memory !== undefined, `${container.name}: limits`)
    }
    const tmp = api.volumeMounts?.find((mount) => mount.mountPath === '/tmp')
    t.ok(pod.volumes?.some((volume) => volume.name === tmp?.name && volume.emptyDir !== undefined), '/tmp is a writable emptyDir')
  })

  t.test('service, autoscaler and disruption budget all target the deployment\'s pods', { skip: kubectlSkip }, async (t) => {
    const { app, deployment } = await release()
    const labels = deployment.spec?.template?.metadata.labels ?? {}
    const selects = (selector: Record<string, string> | undefined) =>
      selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value)
    t.ok(selects(deployment.spec?.selector?.matchLabels), 'deployment selector matches its template')
    t.ok(selects(one(app, 'Service').spec?.selector as Record<string, string>), 'service selects the pods')
    const pdb = one(app, 'PodDisruptionBudget')
    t.ok(selects(pdb.spec?.selector?.matchLabels), 'PDB selects the pods')
    const hpa = one(app, 'HorizontalPodAutoscaler')
    t.same(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
    t.ok((hpa.spec?.minReplicas ?? 1) > (pdb.spec?.maxUnavailable ?? 0), 'a drain always leaves a replica serving')
  })

  t.test('the largest scale-out stays within PostgreSQL\'s default connection limit', { skip: kubectlSkip }, async (t) => {
    const { app, podEnv } = await release()
    const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100
    // Leave room for the migration Job, psql sessions and superuser-reserved slots.
    const maxReplicas = one(app, 'HorizontalPodAutoscaler').spec?.maxReplicas ?? 0
    t.ok(maxReplicas * loadConfig(podEnv).database.poolMax <= POSTGRES_DEFAULT_MAX_CONNECTIONS - 10)
  })
}

await runAlone(import.meta.url, k8sTests)
