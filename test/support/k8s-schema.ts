/** Validation of manifests against the Kubernetes OpenAPI schemas, through the kubernetes-models package. */
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Job } from 'kubernetes-models/batch/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import type { Manifest } from './k8s-manifest.js'

// `never`: each model takes its own typed data, and the rendered YAML is unchecked; validate() is the check.
type ModelClass = new (data: never) => { validate: () => void }

const MODELS: Record<string, ModelClass> = Object.fromEntries(
  [ConfigMap, Secret, Service, Deployment, Job, HorizontalPodAutoscaler, PodDisruptionBudget]
    .map((model) => [`${model.apiVersion} ${model.kind}`, model])
)

/** Throws for a schema violation, and for a kind without a model here: an unchecked kind must not pass. */
export function validateManifest (manifest: Manifest): void {
  const Model = MODELS[`${String(manifest.apiVersion)} ${String(manifest.kind)}`]
  if (Model === undefined) {
    throw new Error(`no schema for ${String(manifest.apiVersion)} ${String(manifest.kind)}: add its kubernetes-models class to test/support/k8s-schema.ts`)
  }
  new Model(manifest as never).validate()
}
