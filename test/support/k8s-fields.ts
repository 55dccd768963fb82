import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize.js';

/** Where the TypeScript interface of each kind deploy/k8s uses lives in kubernetes-models (`I<Kind>`). */
const MODULES: Record<string, string> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
};

/** A file that is never written: the compiler reads it from memory, and resolves its imports from here. */
const VIRTUAL_FILE = join(import.meta.dirname, '__k8s_manifests__.ts');

/**
 * Fields the Kubernetes API does not know, at any depth: what the API server's strict field validation refuses and
 * a JSON-schema check without `additionalProperties: false` (kubernetes-models' validators) lets through. Each object
 * becomes an object literal typed as kubernetes-models' interface of its kind, and TypeScript's excess property check
 * names a key the interface lacks, such as a misspelt `readinesProbe` (the first one of each object: TypeScript stops
 * there). Empty when every key is known.
 */
export function unknownFieldProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const starts: Array<{ at: number; name: string }> = [];
  let source = '';
  objects.forEach((object, i) => {
    const name = `${object.kind}/${object.metadata?.name}`;
    const module = MODULES[`${object.apiVersion}/${object.kind}`];
    if (module === undefined) {
      problems.push(`${name}: no interface for ${object.apiVersion} ${object.kind}`);
      return;
    }
    starts.push({ at: source.length, name });
    source += `import type { I${object.kind} as T${i} } from '${module}';\nexport const o${i}: T${i} = ${JSON.stringify(object, null, 1)};\n`;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    // No DOM and no @types: half the time of a default program.
    lib: ['lib.es2022.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, language, ...rest) =>
    file === VIRTUAL_FILE ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest);
  host.fileExists = (file) => file === VIRTUAL_FILE || fileExists(file);
  host.readFile = (file) => (file === VIRTUAL_FILE ? source : readFile(file));
  const program = ts.createProgram([VIRTUAL_FILE], options, host);
  const file = program.getSourceFile(VIRTUAL_FILE)!;
  for (const diagnostic of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
    const at = diagnostic.start ?? 0;
    const owner = starts.filter((s) => s.at <= at).at(-1)?.name ?? '?';
    problems.push(`${owner}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
  }
  return problems;
}
