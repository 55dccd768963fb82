/**
 * The code blocks of the README (or of a page of docs/) that form the consumer app: each one follows a `<!-- consumer: <path> -->` line,
 * and is written to that path of the app. So the README's examples are the code the consumer test compiles and runs.
 */
export function readmeFiles(
  readme: string,
  required: readonly string[] = REQUIRED,
  marker = 'consumer',
): Map<string, string> {
  const files = new Map<string, string>();
  const block = new RegExp(`<!-- ${marker}: (\\S+) -->\\s*\\n\`\`\`(?:ts|json|prisma)\\n([\\s\\S]*?)\\n\`\`\``, 'g');
  for (const [, path, code] of readme.matchAll(block)) {
    if (files.has(path)) throw new Error(`two consumer blocks for ${path}`);
    files.set(path, `${code}\n`);
  }
  for (const path of required) {
    if (!files.has(path)) throw new Error(`no <!-- ${marker}: ${path} --> block`);
  }
  return files;
}

/** What the consumer harness (test/consumer/app) imports from the README. */
const REQUIRED = [
  'src/order.service.ts',
  'src/app.module.ts',
  'src/leaf-config.module.ts',
  'src/observability.module.ts',
  'src/order.service.spec.ts',
  'src/invoices.module.ts',
  'src/orders.controller.ts',
  'jest.config.json',
];

/** What the ID server harness (test/consumer/app/server-main.ts) imports from docs/server.md. */
export const SERVER_DOC_REQUIRED = ['src/id-server.module.ts', 'src/id-client.module.ts'];

/** What the data-layer apps (test/consumer/layers) take from docs/data-layers.md. */
export const LAYERS_DOC_REQUIRED = ['plain-pg', 'prisma', 'drizzle'].flatMap((layer) => [
  `src/${layer}/orders.ts`,
  `src/${layer}/app.module.ts`,
  `src/${layer}/orders.spec.ts`,
]);
