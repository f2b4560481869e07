import { access, readdir, readFile } from 'node:fs/promises'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { EnvSchema, loadConfig } from '../../src/config.js'
import { buildTestApp } from '../helper.js'

interface Probe { httpGet: { path: string, port: string | number }, periodSeconds?: number, failureThreshold?: number }
interface Container {
  name: string
  image: string
  command?: string[]
  ports?: Array<{ name: string, containerPort: number }>
  envFrom?: Array<{ configMapRef?: { name: string }, secretRef?: { name: string } }>
  resources?: { requests?: Record<string, string>, limits?: Record<string, string> }
  startupProbe?: Probe
  readinessProbe?: Probe
  livenessProbe?: Probe
  lifecycle?: { preStop?: { exec?: { command: string[] } } }
  securityContext?: { allowPrivilegeEscalation?: boolean, readOnlyRootFilesystem?: boolean, capabilities?: { drop?: string[] } }
  volumeMounts?: Array<{ name: string, mountPath: string }>
}
interface PodSpec {
  terminationGracePeriodSeconds?: number
  securityContext?: { runAsNonRoot?: boolean, runAsUser?: number }
  containers: Container[]
  volumes?: Array<{ name: string, emptyDir?: Record<string, unknown> }>
}
interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string, labels?: Record<string, string> }
  data?: Record<string, string>
  stringData?: Record<string, string>
  spec?: {
    replicas?: number
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>
    template?: { metadata: { labels: Record<string, string> }, spec: PodSpec }
    ports?: Array<{ name: string, port: number, targetPort: string | number }>
    scaleTargetRef?: { apiVersion: string, kind: string, name: string }
    minReplicas?: number
    maxReplicas?: number
    maxUnavailable?: number
    minAvailable?: number
  }
  resources?: string[]
}

const DIR = new URL('../../deploy/k8s/', import.meta.url)
/** Files kustomization.yaml leaves out on purpose (see its header and docs/operations.md). */
const APPLIED_SEPARATELY = ['kustomization.yaml', 'secret.example.yaml', 'migrate-job.yaml']

const files = (await readdir(DIR)).filter((file) => /\.ya?ml$/.test(file)).sort()
const manifests: Array<Manifest & { file: string }> = []
for (const file of files) {
  for (const document of parseAllDocuments(await readFile(new URL(file, DIR), 'utf8'))) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`)
    manifests.push({ ...(document.toJS() as Manifest), file })
  }
}

function one (kind: string): Manifest {
  const found = manifests.filter((manifest) => manifest.kind === kind)
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`)
  return found[0] as Manifest
}

const deployment = one('Deployment')
const pod = deployment.spec?.template?.spec as PodSpec
const api = pod.containers[0] as Container
const configMap = one('ConfigMap')
const secret = one('Secret')
const job = one('Job')
const jobContainer = job.spec?.template?.spec.containers[0] as Container
/** The environment a replica boots with: the ConfigMap plus the (example) Secret, as envFrom merges them. */
const podEnv = { ...configMap.data, ...secret.stringData }

const containerPort = (port: string | number) => typeof port === 'number' ? port : api.ports?.find((p) => p.name === port)?.containerPort
const preStopSleepSeconds = () => {
  const command = api.lifecycle?.preStop?.exec?.command ?? []
  return command[0] === 'sleep' ? Number(command[1]) : Number.NaN
}

t.test('every manifest parses and names its kind, apiVersion and name', async (t) => {
  t.ok(manifests.length >= 8)
  for (const manifest of manifests) {
    // A Kustomization is read by kubectl, not sent to the API server: it has no object name.
    const named = manifest.kind === 'Kustomization' || (manifest.metadata as Manifest['metadata'] | undefined)?.name !== undefined
    t.ok(manifest.kind !== undefined && manifest.apiVersion !== undefined && named, manifest.file)
  }
})

t.test('kustomization applies every manifest except the ones applied separately', async (t) => {
  const kustomization = one('Kustomization')
  const expected = files.filter((file) => !APPLIED_SEPARATELY.includes(file))
  t.same([...(kustomization.resources ?? [])].sort(), expected)
  for (const file of APPLIED_SEPARATELY) await t.resolves(access(new URL(file, DIR)), `${file} exists`)
})

t.test('probes point at the app\'s real health routes on its listening port', async (t) => {
  const { app } = await buildTestApp(t)
  const probes = { startupProbe: api.startupProbe, readinessProbe: api.readinessProbe, livenessProbe: api.livenessProbe }
  for (const [name, probe] of Object.entries(probes)) {
    t.ok(probe !== undefined, `${name} is set`)
    const path = probe?.httpGet.path ?? ''
    t.ok(app.hasRoute({ method: 'GET', url: path }), `${name} path ${path} is a route`)
    t.equal((await app.inject({ method: 'GET', url: path })).statusCode, 200, `${name} answers 200 on a healthy app`)
    t.equal(containerPort(probe?.httpGet.port ?? ''), loadConfig(podEnv).port, `${name} port is the one the app listens on`)
  }
  t.equal(api.livenessProbe?.httpGet.path, '/health/live', 'liveness checks no dependency')
  t.equal(api.readinessProbe?.httpGet.path, '/health/ready', 'readiness checks the database')
})

t.test('the container port is the app\'s PORT, default included', async (t) => {
  t.equal(api.ports?.[0]?.containerPort, Number(configMap.data?.PORT ?? EnvSchema.properties.PORT.default))
  t.equal(api.ports?.[0]?.containerPort, EnvSchema.properties.PORT.default)
})

t.test('kubernetes waits for the whole graceful shutdown before killing a pod', async (t) => {
  const config = loadConfig(podEnv)
  const sleep = preStopSleepSeconds()
  t.ok(sleep > 0, 'preStop sleeps so endpoints are removed before the server drains')
  const budgetSeconds = sleep + (config.shutdownDrainDelayMs + config.shutdownTimeoutMs) / 1000
  t.ok((pod.terminationGracePeriodSeconds ?? 30) > budgetSeconds,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds ?? 30} > ${budgetSeconds}`)
})

t.test('replicas boot without migrating; the migration Job does it with the same image and environment', async (t) => {
  t.equal(configMap.data?.MIGRATE_ON_START, 'false')
  t.equal(loadConfig(podEnv).database.migrateOnStart, false)
  t.equal(jobContainer.image, api.image)
  t.same(jobContainer.envFrom, api.envFrom)
  const script = jobContainer.command?.[1] ?? ''
  t.same(jobContainer.command, ['node', 'dist/scripts/migrate.js'])
  await t.resolves(access(new URL(`../../${script.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`, import.meta.url)), 'its source exists')
})

t.test('configuration comes from the ConfigMap and the Secret and boots a production config', async (t) => {
  t.same(api.envFrom, [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }])
  const config = loadConfig(podEnv)
  t.equal(config.isProduction, true)
  t.ok(config.database.url !== undefined && config.redis.url !== undefined, 'shared PostgreSQL and Redis: replicas share rate limits and cache')
  for (const key of ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']) t.notOk(key in (configMap.data ?? {}), `${key} is not in the ConfigMap`)
  t.match(secret.stringData?.JWT_SECRET, /CHANGE-ME/, 'the example secret is visibly a placeholder')
})

t.test('the container is locked down', async (t) => {
  t.equal(pod.securityContext?.runAsNonRoot, true)
  t.not(pod.securityContext?.runAsUser, 0)
  for (const container of [api, jobContainer]) {
    t.equal(container.securityContext?.readOnlyRootFilesystem, true, `${container.name}: read-only root`)
    t.equal(container.securityContext?.allowPrivilegeEscalation, false, `${container.name}: no privilege escalation`)
    t.same(container.securityContext?.capabilities?.drop, ['ALL'], `${container.name}: no capabilities`)
    t.ok(container.resources?.requests?.cpu !== undefined && container.resources.requests.memory !== undefined, `${container.name}: requests`)
    t.ok(container.resources?.limits?.cpu !== undefined && container.resources.limits.memory !== undefined, `${container.name}: limits`)
  }
  const tmp = api.volumeMounts?.find((mount) => mount.mountPath === '/tmp')
  t.ok(pod.volumes?.some((volume) => volume.name === tmp?.name && volume.emptyDir !== undefined), '/tmp is a writable emptyDir')
})

t.test('service, autoscaler and disruption budget all target the deployment\'s pods', async (t) => {
  const labels = deployment.spec?.template?.metadata.labels ?? {}
  const selects = (selector: Record<string, string> | undefined) =>
    selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value)
  const service = one('Service')
  t.ok(selects(deployment.spec?.selector?.matchLabels), 'deployment selector matches its template')
  t.ok(selects(service.spec?.selector as Record<string, string>), 'service selects the pods')
  t.equal(containerPort(service.spec?.ports?.[0]?.targetPort ?? ''), api.ports?.[0]?.containerPort)
  const pdb = one('PodDisruptionBudget')
  t.ok(selects(pdb.spec?.selector?.matchLabels), 'PDB selects the pods')
  const hpa = one('HorizontalPodAutoscaler')
  t.equal(hpa.apiVersion, 'autoscaling/v2')
  t.same(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
  t.ok((hpa.spec?.minReplicas ?? 1) > (pdb.spec?.maxUnavailable ?? 0), 'a drain always leaves a replica serving')
})

t.test('the largest scale-out stays within PostgreSQL\'s default connection limit', async (t) => {
  const hpa = one('HorizontalPodAutoscaler')
  const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100
  // Leave room for the migration Job, psql sessions and superuser-reserved slots.
  t.ok((hpa.spec?.maxReplicas ?? 0) * loadConfig(podEnv).database.poolMax <= POSTGRES_DEFAULT_MAX_CONNECTIONS - 10)
})
