import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { parse } from 'yaml'
import { containers, effectiveEnv, one, podSpec, quantityMiB, readManifests, type Manifest } from '../support/k8s-manifest.js'
import { K8S_DIR, kubectlSkip, render, renderRelease } from '../support/kustomize.js'
import { runAlone } from '../support/test-file.js'

interface ImageOverride { name: string, newName?: string, newTag?: string, digest?: string }

/** Stands in for the real Secret, which has the same keys (and no NODE_OPTIONS). */
const exampleSecret = await readManifests(new URL('../../deploy/k8s/secret.example.yaml', import.meta.url))
const configMapOf = (deployment: Manifest) => podSpec(deployment).containers[0]?.envFrom?.find((source) => source.configMapRef)?.configMapRef?.name

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function k8sReleaseTests (t: Test): Promise<void> {
  t.test('no kustomization applies the Job together with what it must precede', { skip: kubectlSkip }, async (t) => {
    const { app, migrate } = await renderRelease()
    t.same(app.filter((m) => m.kind === 'Job'), [], 'the app step renders no Job')
    t.same(migrate.map((m) => m.kind).sort(), ['ConfigMap', 'Job'], 'the migrate step renders the Job and its ConfigMap only')
  })

  t.test('the HPA alone owns the replica count', { skip: kubectlSkip }, async (t) => {
    const { app } = await renderRelease()
    const hpas = app.filter((m) => m.kind === 'HorizontalPodAutoscaler')
    t.ok(hpas.length > 0)
    for (const hpa of hpas) {
      const target = app.find((m) => m.kind === hpa.spec?.scaleTargetRef?.kind && m.metadata.name === hpa.spec.scaleTargetRef.name)
      t.ok(target !== undefined, `${hpa.metadata.name} targets a rendered object`)
      // Each apply would set the count back to this value, undoing the HPA's scale-out until it reacts again.
      t.notOk(target?.spec !== undefined && 'replicas' in target.spec, `${target?.metadata.name ?? '?'} sets no spec.replicas`)
    }
  })

  t.test('a changed setting renames the ConfigMap, so the pods roll', { skip: kubectlSkip }, async (t) => {
    const { app, migrate } = await renderRelease()
    const configMap = one(app, 'ConfigMap')
    t.match(configMap.metadata.name, /^shop-api-config-[a-z0-9]{10}$/, 'the name carries a content hash')
    t.equal(configMapOf(one(app, 'Deployment')), configMap.metadata.name, 'the Deployment reads the generated ConfigMap')
    t.same(one(migrate, 'ConfigMap'), configMap, 'the Job reads the very same ConfigMap')

    const copy = await mkdtemp(join(tmpdir(), 'k8s-'))
    t.teardown(() => rm(copy, { recursive: true, force: true }))
    await cp(K8S_DIR, copy, { recursive: true })
    const envFile = join(copy, 'release', 'config.env')
    const original = await readFile(envFile, 'utf8')
    t.match(original, /^LOG_LEVEL=info$/m)
    await writeFile(envFile, original.replace(/^LOG_LEVEL=info$/m, 'LOG_LEVEL=debug'))
    const changed = await render(join(copy, 'app'))
    const changedMap = one(changed, 'ConfigMap')
    t.equal(changedMap.data?.LOG_LEVEL, 'debug')
    t.not(changedMap.metadata.name, configMap.metadata.name, 'one changed value, another name')
    t.equal(configMapOf(one(changed, 'Deployment')), changedMap.metadata.name, 'the pod template follows the new name')
  })

  t.test('the Job and the Deployment run the image the release pins in images:', { skip: kubectlSkip }, async (t) => {
    const release = parse(await readFile(join(K8S_DIR, 'release', 'kustomization.yaml'), 'utf8')) as { images?: ImageOverride[] }
    t.equal(release.images?.length, 1, 'one image, one entry')
    const entry = release.images?.[0]
    const pinned = `${entry?.newName ?? entry?.name ?? '?'}${entry?.digest === undefined ? `:${entry?.newTag ?? '?'}` : `@${entry.digest}`}`
    const { app, migrate } = await renderRelease()
    const rendered = containers([...app, ...migrate])
    t.same(rendered.map(({ owner }) => owner.kind).sort(), ['Deployment', 'Job'], 'one Deployment, one Job')
    for (const { owner, container } of rendered) t.equal(container.image, pinned, `${owner.kind} ${container.name} runs ${pinned}`)
  })

  t.test('every container\'s V8 heap fits its memory limit with headroom', { skip: kubectlSkip }, async (t) => {
    const { app, migrate } = await renderRelease()
    // Young generation, code, buffers and native memory live outside --max-old-space-size: keep a quarter for them.
    const HEAP_SHARE = 0.75
    for (const { owner, container } of containers([...app, ...migrate])) {
      const nodeOptions = effectiveEnv(container, [...app, ...migrate, ...exampleSecret]).NODE_OPTIONS ?? ''
      const heap = /(?:^|\s)--max-old-space-size=(\d+)(?:\s|$)/.exec(nodeOptions)?.[1]
      const limit = container.resources?.limits?.memory
      const name = `${owner.kind} ${container.name}`
      t.ok(heap !== undefined, `${name} caps its heap explicitly (NODE_OPTIONS="${nodeOptions}")`)
      t.ok(limit !== undefined, `${name} has a memory limit`)
      t.ok(Number(heap) <= HEAP_SHARE * quantityMiB(limit ?? '0'), `${name}: heap ${String(heap)} MiB ≤ ${HEAP_SHARE} × ${String(limit)}`)
    }
  })
}

await runAlone(import.meta.url, k8sReleaseTests)
