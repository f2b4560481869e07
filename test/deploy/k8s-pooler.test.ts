/**
 * The optional PgBouncer overlay (deploy/k8s/pooler, docs/pooler.md): rendered with kubectl like the release,
 * validated against the Kubernetes schemas, and its connection arithmetic checked against the API's settings.
 */
import { readdir, readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config.js'
import { effectiveEnv, one, podSpec, readManifests, type Container, type Manifest } from '../support/k8s-manifest.js'
import { validateManifest } from '../support/k8s-schema.js'
import { kubectlSkip, render, renderRelease } from '../support/kustomize.js'
import { runAlone } from '../support/test-file.js'

const DIR = new URL('../../deploy/k8s/pooler/', import.meta.url)
const apiSecret = await readManifests(new URL('../../deploy/k8s/secret.example.yaml', import.meta.url))
const userlistSecret = one(await readManifests(new URL('userlist.example.yaml', DIR)), 'Secret')
/** PostgreSQL's default, less superuser-reserved slots, the migration Job and psql sessions (as in k8s.test.ts). */
const SERVER_CONNECTION_BUDGET = 100 - 10

let rendered: Promise<{ pgbouncer: Manifest[], app: Manifest[], migrate: Manifest[] }> | undefined
async function pooler () {
  rendered ??= Promise.all([render('pooler/pgbouncer'), render('pooler/app'), render('pooler/migrate')])
    .then(([pgbouncer, app, migrate]) => ({ pgbouncer, app, migrate }))
  return rendered
}

/** pgbouncer.ini as PgBouncer reads it: `key = value` per section, `;` comments. */
function parseIni (text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {}
  let section: Record<string, string> = {}
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header !== null) { section = {}; sections[header[1] ?? ''] = section; continue }
    const at = line.indexOf('=')
    section[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  return sections
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function k8sPoolerTests (t: Test): Promise<void> {
  t.test('every file of the overlay belongs to a kustomization, except the example Secret', async (t) => {
    t.same((await readdir(DIR)).sort(), ['app', 'component', 'migrate', 'pgbouncer', 'userlist.example.yaml'])
    const pgbouncer = parse(await readFile(new URL('pgbouncer/kustomization.yaml', DIR), 'utf8')) as
      { resources: string[], configMapGenerator: Array<{ files: string[] }> }
    const used = [...pgbouncer.resources, ...pgbouncer.configMapGenerator.flatMap((generator) => generator.files)]
    t.same(used.sort(), (await readdir(new URL('pgbouncer/', DIR))).filter((file) => file !== 'kustomization.yaml').sort())
    t.match(userlistSecret.stringData?.['userlist.txt'], /CHANGE-ME/, 'the example userlist is visibly a placeholder')
    t.doesNotThrow(() => validateManifest(userlistSecret))
  })

  t.test('every manifest the overlay renders is valid against the Kubernetes schemas', { skip: kubectlSkip }, async (t) => {
    const { pgbouncer, app, migrate } = await pooler()
    for (const manifest of [...pgbouncer, ...app, ...migrate]) {
      t.doesNotThrow(() => validateManifest(manifest), `${manifest.apiVersion} ${manifest.kind} ${manifest.metadata.name}`)
    }
  })

  t.test('the API and its migration Job run with DATABASE_POOLER=transaction and one ConfigMap', { skip: kubectlSkip }, async (t) => {
    const { app, migrate } = await pooler()
    const base = await renderRelease()
    const configMap = one(app, 'ConfigMap')
    t.same(one(migrate, 'ConfigMap'), configMap, 'the Job reads the very same ConfigMap as the replicas')
    t.same({ ...configMap.data, DATABASE_POOLER: undefined }, { ...one(base.app, 'ConfigMap').data, DATABASE_POOLER: undefined },
      'every other setting is the release\'s')
    const api = podSpec(one(app, 'Deployment')).containers[0] as Container
    const config = loadConfig(effectiveEnv(api, [...app, ...apiSecret]))
    t.equal(config.database.pooler, 'transaction')
    const job = podSpec(one(migrate, 'Job')).containers[0] as Container
    t.equal(loadConfig(effectiveEnv(job, [...migrate, ...apiSecret])).database.pooler, 'transaction')
    const baseName = one(base.app, 'ConfigMap').metadata.name
    t.equal(JSON.stringify(one(app, 'Deployment')), JSON.stringify(one(base.app, 'Deployment')).replaceAll(baseName, configMap.metadata.name),
      'the Deployment differs from the release\'s only by the name of the ConfigMap it reads')
  })

  t.test('the HPA may scale past max_connections; PgBouncer bounds the server connections instead', { skip: kubectlSkip }, async (t) => {
    const { pgbouncer, app } = await pooler()
    const api = podSpec(one(app, 'Deployment')).containers[0] as Container
    const poolMax = loadConfig(effectiveEnv(api, [...app, ...apiSecret])).database.poolMax
    const maxReplicas = one(app, 'HorizontalPodAutoscaler').spec?.maxReplicas ?? 0
    const ini = parseIni(one(pgbouncer, 'ConfigMap').data?.['pgbouncer.ini'] ?? '')
    const settings = ini.pgbouncer ?? {}
    const replicas = one(pgbouncer, 'Deployment').spec?.replicas ?? 1

    t.ok(maxReplicas * poolMax > SERVER_CONNECTION_BUDGET, `${maxReplicas} replicas × pool ${poolMax} would not fit PostgreSQL directly`)
    t.ok(Number(settings.max_client_conn) >= maxReplicas * poolMax + 1,
      'one PgBouncer pod accepts every replica\'s pool and the Job (the Service may send them all to one pod)')
    const perPod = Math.min(Number(settings.default_pool_size) + Number(settings.reserve_pool_size ?? 0), Number(settings.max_db_connections ?? Infinity))
    t.ok(replicas * perPod <= SERVER_CONNECTION_BUDGET, `${replicas} pods × ${perPod} server connections fit max_connections`)
    const strategy = (one(pgbouncer, 'Deployment').spec as { strategy?: { rollingUpdate?: { maxSurge?: number } } }).strategy
    t.equal(strategy?.rollingUpdate?.maxSurge, 0, 'a rollout never runs an extra pod (and its server connections)')
  })

  t.test('PgBouncer runs a stock transaction-mode configuration on the port its Service targets', { skip: kubectlSkip }, async (t) => {
    const { pgbouncer } = await pooler()
    const configMap = one(pgbouncer, 'ConfigMap')
    const ini = parseIni(configMap.data?.['pgbouncer.ini'] ?? '')
    const settings = ini.pgbouncer ?? {}
    t.equal(settings.pool_mode, 'transaction')
    t.equal(settings.ignore_startup_parameters, 'extra_float_digits', 'only what pg sends; the API sends no timeouts')
    t.notOk('max_prepared_statements' in settings, 'no setting PgBouncer 1.18 would refuse')
    const pod = podSpec(one(pgbouncer, 'Deployment'))
    const container = pod.containers[0] as Container
    const port = container.ports?.find((p) => p.name === 'postgres')?.containerPort
    t.equal(port, Number(settings.listen_port))
    t.same(one(pgbouncer, 'Service').spec?.ports?.map((p) => p.targetPort), ['postgres'])
    t.equal(settings.auth_file, '/etc/pgbouncer/secret/userlist.txt')
    const mounts = container.volumeMounts ?? []
    const volumes = (pod.volumes ?? []) as Array<{ name: string, configMap?: { name: string }, secret?: { secretName: string } }>
    const volumeAt = (path: string) => volumes.find((volume) => volume.name === mounts.find((mount) => mount.mountPath === path)?.name)
    t.equal(volumeAt('/etc/pgbouncer/pgbouncer.ini')?.configMap?.name, configMap.metadata.name, 'the config file is the generated ConfigMap')
    t.equal(volumeAt('/etc/pgbouncer/secret')?.secret?.secretName, userlistSecret.metadata.name, 'the auth_file comes from the userlist Secret')
    t.same(container.command, ['/usr/bin/pgbouncer', '/etc/pgbouncer/pgbouncer.ini'])
    t.equal(pod.securityContext?.runAsNonRoot, true, 'PgBouncer refuses root anyway')
    t.equal(container.securityContext?.readOnlyRootFilesystem, true)
    t.equal(container.securityContext?.allowPrivilegeEscalation, false)
    t.same(container.securityContext?.capabilities?.drop, ['ALL'])
  })
}

await runAlone(import.meta.url, k8sPoolerTests)
