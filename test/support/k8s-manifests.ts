import { join } from 'node:path';
import { containersOf, type K8sObject } from './kustomize.js';

/** deploy/k8s's base and its example overlay. */
export const K8S_BASE = join(import.meta.dirname, '..', '..', 'deploy', 'k8s', 'base');
export const K8S_OVERLAY = join(import.meta.dirname, '..', '..', 'deploy', 'k8s', 'overlays', 'example');

/** The object of that kind and name; throws naming it when there is none. */
export function objectNamed(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`No ${kind}/${name} in the manifests`);
  return found;
}

/** The first container of a workload, loosely typed for tests that read and break its fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function workloadContainer(workload: K8sObject): any {
  return containersOf(workload)[0];
}

/**
 * The environment the workload's first container gets, as the kubelet builds it: plain values, and values read
 * from the Secrets in `objects` (`stringData`, or base64 `data`).
 */
export function appEnvironment(objects: readonly K8sObject[], workload: string): Record<string, string> {
  const deployment = objects.find(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === workload,
  );
  if (deployment === undefined) throw new Error(`No workload ${workload} in the manifests`);
  const env: Record<string, string> = {};
  for (const variable of workloadContainer(deployment).env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (ref === undefined) {
      env[variable.name] = variable.value;
      continue;
    }
    const secret = objectNamed(objects, 'Secret', ref.name) as K8sObject & {
      stringData?: Record<string, string>;
      data?: Record<string, string>;
    };
    const value = secret.stringData?.[ref.key] ?? secret.data?.[ref.key];
    if (value === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
    env[variable.name] = secret.stringData?.[ref.key] ?? Buffer.from(value, 'base64').toString('utf8');
  }
  return env;
}
