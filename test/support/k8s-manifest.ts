/** The parts of Kubernetes objects the deploy tests read, and helpers over rendered manifests. */
import { readFile } from 'node:fs/promises'
import { parseAllDocuments } from 'yaml'

export interface Probe { httpGet: { path: string, port: string | number }, periodSeconds?: number, failureThreshold?: number }
export interface EnvVar { name: string, value?: string, valueFrom?: Record<string, unknown> }
export interface EnvFromSource { configMapRef?: { name: string }, secretRef?: { name: string } }
export interface Container {
  name: string
  image: string
  command?: string[]
  ports?: Array<{ name: string, containerPort: number }>
  envFrom?: EnvFromSource[]
  env?: EnvVar[]
  resources?: { requests?: Record<string, string>, limits?: Record<string, string> }
  startupProbe?: Probe
  readinessProbe?: Probe
  livenessProbe?: Probe
  lifecycle?: { preStop?: { exec?: { command: string[] } } }
  securityContext?: { allowPrivilegeEscalation?: boolean, readOnlyRootFilesystem?: boolean, capabilities?: { drop?: string[] } }
  volumeMounts?: Array<{ name: string, mountPath: string }>
}
export interface PodSpec {
  terminationGracePeriodSeconds?: number
  securityContext?: { runAsNonRoot?: boolean, runAsUser?: number }
  containers: Container[]
  initContainers?: Container[]
  volumes?: Array<{ name: string, emptyDir?: Record<string, unknown> }>
}
export interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string, labels?: Record<string, string> }
  data?: Record<string, string>
  stringData?: Record<string, string>
  spec?: {
    replicas?: number
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>
    template?: { metadata: { labels: Record<string, string>, annotations?: Record<string, string> }, spec: PodSpec }
    ports?: Array<{ name: string, port: number, targetPort: string | number }>
    scaleTargetRef?: { apiVersion: string, kind: string, name: string }
    minReplicas?: number
    maxReplicas?: number
    maxUnavailable?: number
    minAvailable?: number
  }
}

export function parseManifests (text: string, source: string): Manifest[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.map((error) => error.message).join('; ')}`)
    return document.toJS() as Manifest
  })
}

export async function readManifests (file: URL): Promise<Manifest[]> {
  return parseManifests(await readFile(file, 'utf8'), file.pathname)
}

export function one (manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((manifest) => manifest.kind === kind)
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`)
  return found[0] as Manifest
}

export function podSpec (manifest: Manifest): PodSpec {
  const spec = manifest.spec?.template?.spec
  if (spec === undefined) throw new Error(`${manifest.kind} ${manifest.metadata.name} has no pod template`)
  return spec
}

export function containers (manifests: Manifest[]): Array<{ owner: Manifest, container: Container }> {
  return manifests.filter((manifest) => manifest.spec?.template?.spec !== undefined).flatMap((owner) => {
    const spec = podSpec(owner)
    return [...(spec.initContainers ?? []), ...spec.containers].map((container) => ({ owner, container }))
  })
}

/**
 * The environment a container starts with: envFrom sources in order (a later one wins), then env over all of them.
 * A reference to a ConfigMap or Secret not among `manifests` throws: a dangling name is a pod that never starts.
 */
export function effectiveEnv (container: Container, manifests: Manifest[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    const [kind, name] = source.configMapRef !== undefined ? ['ConfigMap', source.configMapRef.name] : ['Secret', source.secretRef?.name]
    const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name)
    if (found === undefined) throw new Error(`${container.name}: envFrom names ${kind} ${String(name)}, which is not rendered`)
    Object.assign(env, found.data, found.stringData)
  }
  for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value
  return env
}

const MIB_PER_UNIT: Record<string, number> = { '': 1 / 2 ** 20, Ki: 1 / 1024, Mi: 1, Gi: 1024, k: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }

/** A Kubernetes memory quantity ("512Mi", "1G", "268435456") in MiB. */
export function quantityMiB (quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity)
  const factor = MIB_PER_UNIT[match?.[2] ?? '']
  if (match === null || factor === undefined) throw new Error(`unsupported memory quantity ${quantity}`)
  return Number(match[1]) * factor
}
