/** Renders deploy/k8s with `kubectl kustomize`, as `kubectl apply -k` would before sending anything. */
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseManifests, type Manifest } from './k8s-manifest.js'

export const K8S_DIR = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url))

async function onPath (command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '')) {
    try {
      await access(join(dir, command), constants.X_OK)
      return true
    } catch {}
  }
  return false
}

/** `false` when kubectl is available, else the reason the rendering tests give for skipping. */
export const kubectlSkip: string | false = await onPath('kubectl')
  ? false
  : 'needs kubectl (v1.27+, kustomize v5) on PATH to render deploy/k8s'

/** `dir` is a kustomization directory: absolute, or relative to deploy/k8s. */
export async function render (dir: string): Promise<Manifest[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', resolve(K8S_DIR, dir)], { maxBuffer: 16 * 2 ** 20 })
  return parseManifests(stdout, `kubectl kustomize ${dir}`)
}

let release: Promise<{ app: Manifest[], migrate: Manifest[] }> | undefined

/** The two steps of a release (see docs/operations.md, "Deploying"), rendered once per test process. */
export async function renderRelease (): Promise<{ app: Manifest[], migrate: Manifest[] }> {
  release ??= Promise.all([render('app'), render('migrate')]).then(([app, migrate]) => ({ app, migrate }))
  return await release
}
