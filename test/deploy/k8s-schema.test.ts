import type { Test } from 'tap'
import { readManifests, type Manifest } from '../support/k8s-manifest.js'
import { validateManifest } from '../support/k8s-schema.js'
import { kubectlSkip, renderRelease } from '../support/kustomize.js'
import { runAlone } from '../support/test-file.js'

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function k8sSchemaTests (t: Test): Promise<void> {
  t.test('every rendered manifest is valid against the Kubernetes schemas', { skip: kubectlSkip }, async (t) => {
    const { app, migrate } = await renderRelease()
    t.ok(app.length >= 5 && migrate.length >= 2, `${app.length} + ${migrate.length} manifests rendered`)
    for (const manifest of [...app, ...migrate]) {
      t.doesNotThrow(() => validateManifest(manifest), `${manifest.apiVersion} ${manifest.kind} ${manifest.metadata.name}`)
    }
  })

  t.test('the example Secret is a valid Secret', async (t) => {
    for (const manifest of await readManifests(new URL('../../deploy/k8s/secret.example.yaml', import.meta.url))) {
      t.doesNotThrow(() => validateManifest(manifest), `${manifest.kind} ${manifest.metadata.name}`)
    }
  })

  t.test('the validator fails what it cannot check and what breaks a schema', async (t) => {
    const metadata = { name: 'x' }
    t.throws(() => validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata }), /no schema for example\.com\/v1 Widget/)
    t.throws(() => validateManifest({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata }), /no schema for apps\/v1beta1 Deployment/)
    const badJob = { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: { backoffLimit: 'three', template: { spec: { containers: [] } } } }
    t.throws(() => validateManifest(badJob as unknown as Manifest), /backoffLimit/)
  })
}

await runAlone(import.meta.url, k8sSchemaTests)
