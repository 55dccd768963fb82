import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { containersOf, podSpecOf, type K8sObject } from './kustomize.js';

/**
 * The kinds deploy/k8s uses, each validated by `kubernetes-models` against the OpenAPI schema of Kubernetes it was
 * generated from (bundled, compiled validators: no cluster, no download). A kind missing here fails the check, so a
 * new kind in the manifests needs its model added rather than going unchecked.
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Schema errors of each object (kubernetes-models validates types, formats and required fields): empty when valid. */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const where = `${object.kind}/${object.metadata?.name}`;
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (Model === undefined) return [`${where}: no model for ${object.apiVersion} ${object.kind}`];
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [`${where}: ${(error as Error).message}`];
    }
  });
}

type Labels = Record<string, string>;
const matches = (selector: Labels | undefined, labels: Labels | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: Ref; configMapKeyRef?: Ref } }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  volumeMounts?: { name: string }[];
  [probe: string]: unknown;
}
interface Ref {
  name: string;
  key: string;
  optional?: boolean;
}

/**
 * What `kubectl apply` would accept but the cluster would not run as meant: Services and PodDisruptionBudgets that
 * select no pod or several workloads, target ports and probe ports no container declares, Secret and ConfigMap keys
 * that do not exist, volume mounts without a volume, a StatefulSet without its headless Service, a budget that lets no
 * pod go. Empty when everything refers to something that exists.
 */
export function crossReferenceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const keysOf = (kind: 'Secret' | 'ConfigMap', name: string): Set<string> | undefined => {
    const found = byKind(kind).find((o) => o.metadata.name === name);
    return (
      found &&
      new Set([...Object.keys((found.data as Labels) ?? {}), ...Object.keys((found.stringData as Labels) ?? {})])
    );
  };
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const podLabels = (w: K8sObject) =>
    (w.spec as { template: { metadata?: { labels?: Labels } } }).template.metadata?.labels;
  const selected = (selector: Labels | undefined) => workloads.filter((w) => matches(selector, podLabels(w)));

  for (const w of workloads) {
    const where = `${w.kind}/${w.metadata.name}`;
    const spec = w.spec as { selector?: { matchLabels?: Labels }; replicas?: number; serviceName?: string };
    if (!matches(spec.selector?.matchLabels, podLabels(w)))
      problems.push(`${where}: its selector does not match its pod labels`);
    const pod = podSpecOf(w)!;
    const volumes = new Set([
      ...(pod.volumes ?? []).map((v) => v.name),
      ...((w.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map(
        (t) => t.metadata.name,
      ),
    ]);
    for (const volume of pod.volumes ?? []) {
      const configMap = (volume.configMap as { name?: string } | undefined)?.name;
      if (configMap !== undefined && keysOf('ConfigMap', configMap) === undefined)
        problems.push(`${where}: volume ${volume.name} mounts ConfigMap ${configMap}, which does not exist`);
      const secret = (volume.secret as { secretName?: string } | undefined)?.secretName;
      if (secret !== undefined && keysOf('Secret', secret) === undefined)
        problems.push(`${where}: volume ${volume.name} mounts Secret ${secret}, which does not exist`);
    }
    if (w.kind === 'StatefulSet') {
      const service = byKind('Service').find((s) => s.metadata.name === spec.serviceName);
      if ((service?.spec as { clusterIP?: string } | undefined)?.clusterIP !== 'None')
        problems.push(`${where}: serviceName ${spec.serviceName} is no headless Service`);
    }
    for (const container of containersOf(w) as Container[]) {
      const at = `${where} container ${container.name}`;
      const ports = new Set((container.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const port = (container[probe] as { httpGet?: { port: unknown }; tcpSocket?: { port: unknown } } | undefined)
          ?.httpGet?.port;
        if (port !== undefined && !ports.has(port as string))
          problems.push(`${at}: ${probe} port ${String(port)} is not declared`);
      }
      for (const { name, valueFrom } of container.env ?? []) {
        for (const [kind, ref] of [
          ['Secret', valueFrom?.secretKeyRef],
          ['ConfigMap', valueFrom?.configMapKeyRef],
        ] as const) {
          if (ref === undefined || ref.optional) continue;
          const keys = keysOf(kind, ref.name);
          if (keys === undefined) problems.push(`${at}: env ${name} reads ${kind} ${ref.name}, which does not exist`);
          else if (!keys.has(ref.key))
            problems.push(`${at}: env ${name} reads key ${ref.key}, which ${kind} ${ref.name} lacks`);
        }
      }
      for (const mount of container.volumeMounts ?? []) {
        if (!volumes.has(mount.name)) problems.push(`${at}: mounts ${mount.name}, which is no volume`);
      }
    }
  }

  for (const service of byKind('Service')) {
    const where = `Service/${service.metadata.name}`;
    const spec = service.spec as { selector?: Labels; ports?: { targetPort?: string | number; port: number }[] };
    const targets = selected(spec.selector);
    if (targets.length !== 1) {
      problems.push(
        `${where}: selects ${targets.length} workloads (${targets.map((t) => t.metadata.name).join(', ')})`,
      );
      continue;
    }
    const declared = new Set(
      (containersOf(targets[0]) as Container[]).flatMap((c) =>
        (c.ports ?? []).flatMap((p) => [p.name, p.containerPort]),
      ),
    );
    for (const port of spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      if (!declared.has(target as string))
        problems.push(`${where}: targetPort ${target} is no port of ${targets[0].metadata.name}`);
    }
  }

  for (const pdb of byKind('PodDisruptionBudget')) {
    const where = `PodDisruptionBudget/${pdb.metadata.name}`;
    const spec = pdb.spec as { selector?: { matchLabels?: Labels }; minAvailable?: number | string };
    const targets = selected(spec.selector?.matchLabels);
    if (targets.length !== 1) {
      problems.push(`${where}: selects ${targets.length} workloads`);
      continue;
    }
    const replicas = (targets[0].spec as { replicas?: number }).replicas ?? 1;
    if (typeof spec.minAvailable === 'number' && spec.minAvailable >= replicas)
      problems.push(
        `${where}: minAvailable ${spec.minAvailable} of ${replicas} replicas lets no pod be evicted (a drain hangs)`,
      );
  }
  return problems;
}
