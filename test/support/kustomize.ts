import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as a manifest holds it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** Kinds that live outside any namespace: kustomize's `namespace` leaves them alone. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass']);

/** The fields of kustomization.yaml this renderer knows; any other one fails the render instead of being ignored. */
const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images']);

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
}

/**
 * What `kubectl kustomize <dir>` prints, for the subset of kustomize deploy/k8s uses: `resources` (files and
 * directories with a kustomization of their own), `namespace` and `images`. Written here so the manifests are tested
 * where kubectl is not installed; `kubectlKustomize` checks it against the real one where it is.
 *
 * @throws Error for a field of kustomization.yaml it does not implement, or a YAML error, naming the file
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parseYaml(file)[0] as Kustomization & Record<string, unknown>;
  const unknown = Object.keys(kustomization).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) throw new Error(`${file}: this renderer does not implement ${unknown.join(', ')}`);
  const objects = (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    return statSync(path).isDirectory() ? renderKustomization(path) : (parseYaml(path) as K8sObject[]);
  });
  const { namespace } = kustomization;
  for (const object of objects) {
    if (namespace !== undefined && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
    for (const container of containersOf(object)) {
      const image = kustomization.images?.find(({ name }) => imageName(container.image) === name);
      if (image === undefined) continue;
      const tag = container.image.slice(imageName(container.image).length);
      container.image = `${image.newName ?? image.name}${image.newTag === undefined ? tag : `:${image.newTag}`}`;
    }
  }
  return objects;
}

/** `kubectl kustomize <dir>` where kubectl is on the PATH; undefined where it is not. */
export function kubectlKustomize(dir: string): K8sObject[] | undefined {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseAllDocuments(output).map((doc) => doc.toJS() as K8sObject);
}

/** The containers (init containers too) of a workload's pod template, or of a Pod. */
export function containersOf(object: K8sObject): Array<{ name: string; image: string; [key: string]: unknown }> {
  const spec = podSpecOf(object);
  return spec === undefined ? [] : [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** The pod spec of a Deployment, StatefulSet, DaemonSet, Job or Pod. */
export function podSpecOf(object: K8sObject): PodSpec | undefined {
  if (object.kind === 'Pod') return object.spec as PodSpec;
  return (object.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
}

export interface PodSpec {
  containers?: Array<{ name: string; image: string; [key: string]: unknown }>;
  initContainers?: Array<{ name: string; image: string; [key: string]: unknown }>;
  volumes?: Array<{ name: string; [key: string]: unknown }>;
  terminationGracePeriodSeconds?: number;
  [key: string]: unknown;
}

function imageName(image: string): string {
  // A registry port is part of the name (host:5000/app:tag); the tag follows the last colon after the last slash.
  const at = image.indexOf('@');
  const bare = at === -1 ? image : image.slice(0, at);
  const colon = bare.lastIndexOf(':');
  return colon > bare.lastIndexOf('/') ? bare.slice(0, colon) : bare;
}

function parseYaml(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const documents = Array.isArray(docs) ? docs : [docs];
  for (const doc of documents) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0].message}`);
  }
  return documents.map((doc) => doc.toJS()).filter((value) => value !== null);
}
