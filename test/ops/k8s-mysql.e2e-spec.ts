import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { createTableSql, LeafAllocMigration } from 'nest-leaf/typeorm';
import { validateEnvironment } from '../../apps/demo/src/config/environment.validation.js';
import { leafOptions } from '../../apps/demo/src/config/leaf.options.js';
import { dropDatabases, freshDatabase, MYSQL, mysqlDataSourceOptions, mysqlDemoEnv } from '../../harness/mariadb.js';
import { startDemo, type RunningDemo } from '../support/demo/demo-app.js';
import { appEnvironment, K8S_BASE, objectNamed, workloadContainer } from '../support/k8s-manifests.js';
import { renderKustomization } from '../support/kustomize.js';
import { leafAllocDefinition } from '../support/schema-snapshot.js';

// Issue #24, item 5: MySQL's first start runs the initdb ConfigMap of deploy/k8s. Its SQL, applied here to a fresh
// MariaDB database as the image's entrypoint would, must make leaf_alloc exactly as LeafAllocMigration makes it, with
// the demo's first rows; then the app the Deployments run, with their environment, boots on that database and answers
// the probes' paths, the scrape path and the ID server's route.

const INITDB = 'deploy_k8s_initdb';
const MIGRATED = 'deploy_k8s_migrated';
const TOKEN = randomBytes(32).toString('hex');

const base = renderKustomization(K8S_BASE);
const initSql = (objectNamed(base, 'ConfigMap', 'leaf-mysql-initdb').data as Record<string, string>)[
  '01-leaf-alloc.sql'
];

async function definitionOf(database: string, migrate: boolean): Promise<string | undefined> {
  const dataSource = await new DataSource({
    ...mysqlDataSourceOptions(database),
    ...(migrate ? { migrations: [LeafAllocMigration], migrationsRun: true } : {}),
  }).initialize();
  try {
    return await leafAllocDefinition(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

describe('deploy/k8s MySQL initdb', () => {
  let initdb: Awaited<ReturnType<typeof freshDatabase>>;
  let migrated: string;

  beforeAll(async () => {
    initdb = await freshDatabase(INITDB, { withTable: false });
    // The statements in one go, as the entrypoint pipes each *.sql file to the client.
    const connection = await mysql.createConnection({ ...MYSQL, database: initdb.name, multipleStatements: true });
    try {
      await connection.query(initSql);
    } finally {
      await connection.end();
    }
    const fresh = await freshDatabase(MIGRATED, { withTable: false });
    migrated = fresh.name;
    await fresh.close();
  });

  afterAll(async () => {
    await initdb?.close();
    await dropDatabases([initdb?.name, migrated].filter((name): name is string => name !== undefined));
  });

  it("creates leaf_alloc with the migration's own statement, and the same table as the migration makes", async () => {
    const [create] = initSql.split(/;\s*\n/);
    expect(create.trim()).toBe(createTableSql('mysql'));
    const fromInitdb = await definitionOf(initdb.name, false);
    expect(fromInitdb).toBeDefined();
    expect(fromInitdb).toBe(await definitionOf(migrated, true));
  });

  it('inserts a first block of IDs for each plain tag the demo serves, at the step the Deployments configure', async () => {
    const env = appEnvironment(base, 'leaf-id-server');
    const { bizTags, step } = leafOptions(validateEnvironment(env).leaf);
    const plain = bizTags
      .map((entry) => (typeof entry === 'string' ? { tag: entry } : entry))
      .filter((entry) => !('period' in entry) && !('gapless' in entry))
      .map((entry) => ({ biz_tag: entry.tag, max_id: '1', step, description: entry.description ?? null }))
      .sort((a, b) => a.biz_tag.localeCompare(b.biz_tag));
    expect(plain.length).toBeGreaterThan(0);
    expect(await initdb.query('SELECT biz_tag, max_id, step, description FROM leaf_alloc ORDER BY biz_tag')).toEqual(
      plain,
    );
  });

  describe('the app of the Deployments on that database', () => {
    let demo: RunningDemo;
    const deployment = objectNamed(base, 'Deployment', 'leaf-id-server');

    beforeAll(async () => {
      // A client token in the Secret, as docs/kubernetes.md's step 4 puts one there.
      const withToken = structuredClone(base);
      (objectNamed(withToken, 'Secret', 'leaf-client-tokens').stringData as Record<string, string>).LEAF_SERVER_TOKEN =
        TOKEN;
      // The ID server's environment, pointed at this machine's MariaDB instead of the leaf-mysql Service.
      demo = await startDemo({ ...appEnvironment(withToken, 'leaf-id-server'), ...mysqlDemoEnv(initdb.name) });
    });

    afterAll(() => demo?.close());

    it('finds the table and leaves it as it was (the migration runs over it)', async () => {
      expect(await definitionOf(initdb.name, false)).toBe(await definitionOf(migrated, false));
    });

    it.each(['startupProbe', 'livenessProbe', 'readinessProbe'])('answers the %s path with 200', async (probe) => {
      const { path } = workloadContainer(deployment)[probe].httpGet as { path: string };
      const response = await fetch(`${demo.url}${path}`);
      expect({ path, status: response.status, body: await response.json() }).toMatchObject({
        path,
        status: 200,
        body: { status: 'ok' },
      });
    });

    it('serves the leaf_* metrics where the pod annotations tell Prometheus to scrape', async () => {
      const annotations = (deployment.spec as { template: { metadata: { annotations: Record<string, string> } } })
        .template.metadata.annotations;
      const response = await fetch(`${demo.url}${annotations['prometheus.io/path']}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('leaf_ids_issued_total{tag="order"}');
    });

    it('reserves segments for the client whose token the Secret holds, and for no one else', async () => {
      const reserve = (headers: Record<string, string>) =>
        fetch(`${demo.url}/api/segment/reserve/user`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body: JSON.stringify({ step: 10 }),
        });
      const granted = await reserve({ Authorization: `Bearer ${TOKEN}` });
      expect({ status: granted.status, body: await granted.json() }).toEqual({
        status: 200,
        body: { start: expect.stringMatching(/^\d+$/), end: expect.stringMatching(/^\d+$/) },
      });
      expect((await reserve({})).status).toBe(401);
      expect((await reserve({ Authorization: `Bearer ${'x'.repeat(64)}` })).status).toBe(401);
    });

    it("serves Leaf's route from the seeded row: the first ID is 1", async () => {
      const response = await fetch(`${demo.url}/api/segment/get/order`);
      expect({ status: response.status, body: await response.text() }).toEqual({ status: 200, body: '1' });
    });
  });
});
