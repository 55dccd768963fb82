import { describe, expect, it } from '@jest/globals';
import { DEMO_DEFAULTS } from '../../apps/demo/src/config/demo.config.js';
import { validateEnvironment } from '../../apps/demo/src/config/environment.validation.js';
import { leafOptions } from '../../apps/demo/src/config/leaf.options.js';
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';
import { crossReferenceProblems, schemaProblems } from '../support/k8s-checks.js';
import { unknownFieldProblems } from '../support/k8s-fields.js';
import { appEnvironment, K8S_BASE, K8S_OVERLAY, objectNamed, workloadContainer } from '../support/k8s-manifests.js';
import {
  containersOf,
  kubectlKustomize,
  podSpecOf,
  renderKustomization,
  type K8sObject,
} from '../support/kustomize.js';

// Issue #24, item 5: deploy/k8s, checked without a cluster. Every object against the Kubernetes schema
// (kubernetes-models), the kustomization rendered here and, where kubectl is installed, compared with
// `kubectl kustomize`; then what a schema cannot see: references between objects, the apps' environment, the
// shutdown budget. What runs only in a cluster is listed in docs/kubernetes.md.

const APPS = ['leaf-id-server', 'leaf-demo'];
const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (objects: K8sObject[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));
const clone = <T>(value: T): T => structuredClone(value);

describe('deploy/k8s', () => {
  const base = renderKustomization(K8S_BASE);
  const overlay = renderKustomization(K8S_OVERLAY);

  it('holds the ID server, its budget, Service and token Secret, the demo, and MySQL with its initdb', () => {
    expect(base.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/leaf-mysql-initdb',
      'Deployment/leaf-demo',
      'Deployment/leaf-id-server',
      'PodDisruptionBudget/leaf-id-server',
      'Secret/leaf-client-tokens',
      'Secret/leaf-demo',
      'Secret/leaf-mysql',
      'Service/leaf-demo',
      'Service/leaf-id-server',
      'Service/leaf-mysql',
      'StatefulSet/leaf-mysql',
    ]);
    expect(overlay.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'nest-leaf')).toBe(true);
    expect(containersOf(objectNamed(overlay, 'Deployment', 'leaf-id-server'))[0].image).toBe(
      'registry.example.com/nest-leaf-demo:0.1.0',
    );
  });

  it.each([
    ['base', K8S_BASE],
    ['overlays/example', K8S_OVERLAY],
  ])('%s renders as kubectl kustomize renders it (where kubectl is installed)', (_, dir) => {
    const real = kubectlKustomize(dir);
    if (real === undefined) {
      process.stdout.write(`kubectl not on the PATH: ${dir} checked with this suite's renderer only\n`);
      return;
    }
    expect(sorted(renderKustomization(dir))).toEqual(sorted(real));
  });

  it('validates every object of the base and the overlay against the Kubernetes schema', () => {
    expect(schemaProblems(base)).toEqual([]);
    expect(schemaProblems(overlay)).toEqual([]);
  });

  it('rejects broken manifests: a port as text, a missing selector, a replica count as text, an unknown kind', () => {
    const deployment = objectNamed(base, 'Deployment', 'leaf-id-server');
    const portAsText = clone(deployment);
    workloadContainer(portAsText).ports[0].containerPort = 'http' as never;
    const noSelector = clone(deployment);
    delete (noSelector.spec as { selector?: unknown }).selector;
    const replicasAsText = clone(deployment);
    (replicasAsText.spec as { replicas: unknown }).replicas = 'two';
    const ingress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' } };
    const problems = schemaProblems([portAsText, noSelector, replicasAsText, ingress]);
    expect(problems).toEqual([
      expect.stringMatching(/containerPort must be integer/),
      expect.stringMatching(/spec must have required property selector/),
      expect.stringMatching(/replicas must be integer/),
      expect.stringMatching(/no model for networking.k8s.io\/v1 Ingress/),
    ]);
  });

  it('uses only fields the Kubernetes API knows, at every depth (as its strict field validation would check)', () => {
    expect(unknownFieldProblems([...base, ...overlay.filter((o) => o.kind === 'Namespace')])).toEqual([]);
  });

  it('finds a misspelt field, which the schema check lets through', () => {
    const deployment = objectNamed(base, 'Deployment', 'leaf-id-server');
    const inContainer = clone(deployment);
    const container = workloadContainer(inContainer);
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    const inSpec = clone(deployment);
    (inSpec.spec as Record<string, unknown>).replica = 2;
    expect(schemaProblems([inContainer, inSpec])).toEqual([]);
    expect(unknownFieldProblems([inContainer, inSpec])).toEqual([
      expect.stringMatching(/^Deployment\/leaf-id-server: .*'"?readinesProbe"?' does not exist in type 'IContainer'/),
      expect.stringMatching(/^Deployment\/leaf-id-server: .*'"?replica"?' does not exist in type 'IDeploymentSpec'/),
    ]);
  });

  it('refers only to what exists: selectors, target and probe ports, Secret and ConfigMap keys, volumes', () => {
    expect(crossReferenceProblems(base)).toEqual([]);
    expect(crossReferenceProblems(overlay)).toEqual([]);
  });

  it('finds a broken reference: a selector typo, a probe on an undeclared port, a missing key, a budget of all pods', () => {
    const broken = clone(base);
    (objectNamed(broken, 'Service', 'leaf-id-server').spec as { selector: Record<string, string> }).selector[
      'app.kubernetes.io/name'
    ] = 'leaf-idserver';
    workloadContainer(objectNamed(broken, 'Deployment', 'leaf-demo')).readinessProbe.httpGet.port = 'web';
    workloadContainer(objectNamed(broken, 'Deployment', 'leaf-demo')).env.find(
      (e: { name: string }) => e.name === 'ADMIN_TOKEN',
    ).valueFrom.secretKeyRef.key = 'ADMIN-TOKEN';
    (objectNamed(broken, 'PodDisruptionBudget', 'leaf-id-server').spec as { minAvailable: number }).minAvailable = 2;
    delete podSpecOf(objectNamed(broken, 'StatefulSet', 'leaf-mysql'))!.volumes;
    expect(crossReferenceProblems(broken).sort()).toEqual([
      expect.stringMatching(/^Deployment\/leaf-demo container demo: env ADMIN_TOKEN reads key ADMIN-TOKEN/),
      expect.stringMatching(/^Deployment\/leaf-demo container demo: readinessProbe port web is not declared/),
      expect.stringMatching(
        /^PodDisruptionBudget\/leaf-id-server: minAvailable 2 of 2 replicas lets no pod be evicted/,
      ),
      expect.stringMatching(/^Service\/leaf-id-server: selects 0 workloads/),
      expect.stringMatching(/^StatefulSet\/leaf-mysql container mysql: mounts initdb, which is no volume/),
    ]);
  });

  it.each(APPS)('%s sets only variables the demo reads, and the demo accepts them', (name) => {
    const env = appEnvironment(base, name);
    const known = new Set(Object.keys(DEMO_DEFAULTS));
    expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
    expect(() => validateEnvironment(env)).not.toThrow();
  });

  it.each(APPS)('%s connects to the MySQL the StatefulSet runs, as its user, by its Service', (name) => {
    const config = validateEnvironment(appEnvironment(base, name)).database;
    const mysql = appEnvironment(base, 'leaf-mysql');
    const service = objectNamed(base, 'Service', 'leaf-mysql').spec as { ports: { port: number }[] };
    expect(config).toEqual({
      type: 'mysql',
      host: 'leaf-mysql',
      port: service.ports[0].port,
      user: mysql.MYSQL_USER,
      password: mysql.MYSQL_PASSWORD,
      name: mysql.MYSQL_DATABASE,
    });
  });

  it.each(APPS)(
    '%s: the termination grace covers the preStop sleep, the request drain, a reservation in flight and the give-back',
    (name) => {
      const deployment = objectNamed(base, 'Deployment', name);
      const config = validateEnvironment(appEnvironment(base, name));
      // The generator's options as the demo resolves them from this environment: the library's defaults included.
      const leaf = resolveLeafOptions(leafOptions(config.leaf));
      const preStop = workloadContainer(deployment).lifecycle.preStop.exec.command as string[];
      expect(preStop.slice(0, 1)).toEqual(['sleep']);
      const sleepSeconds = Number(preStop[1]);
      expect(leaf.giveBackOnShutdown).toBe(true);
      const needed = sleepSeconds + config.http.shutdownTimeoutMs / 1000 + (2 * leaf.reservationTimeoutMs) / 1000; // in flight + give-back
      const grace = podSpecOf(deployment)!.terminationGracePeriodSeconds!;
      expect({ needed, grace }).toEqual({ needed: 25, grace: 35 }); // the sum the manifest's comment explains
      expect(grace - needed).toBeGreaterThanOrEqual(5); // slack for closing the HTTP server and the pool
    },
  );

  it('keeps the ID server available through a rolling update and a drain', () => {
    const deployment = objectNamed(base, 'Deployment', 'leaf-id-server').spec as {
      replicas: number;
      strategy: { rollingUpdate: { maxUnavailable: number } };
    };
    expect(deployment.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(objectNamed(base, 'PodDisruptionBudget', 'leaf-id-server').spec).toMatchObject({ minAvailable: 1 });
  });
});
