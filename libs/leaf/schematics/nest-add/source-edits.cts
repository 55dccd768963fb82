// Edits of an app's TypeScript source found through TypeScript's own parser and applied as text insertions, so the
// user's formatting and comments stay as they were: the schematic adds lines, it never reprints a file.
import ts from 'typescript';

/** A parsed source file; every edit returns new text, parsed again by the next step. */
export function parse(path: string, text: string): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** A string literal in the quotes Nest's generated code uses. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function insert(text: string, position: number, added: string): string {
  return text.slice(0, position) + added + text.slice(position);
}

function indentOf(text: string, position: number): string {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** A multi-line entry on one line, for a list written on one line: `{\n  a: 1,\n}` gives `{ a: 1 }`. */
function oneLine(entry: string): string {
  return entry
    .replace(/,\s*\n\s*([}\]])/g, ' $1')
    .replace(/([{[])\s*\n\s*/g, '$1 ')
    .replace(/\s*\n\s*/g, ' ');
}

/** A multi-line entry indented to start at `indent`. */
function indented(entry: string, indent: string): string {
  return entry.replace(/\n/g, `\n${indent}`);
}

/**
 * `added` as the last element of an array literal or the last property of an object literal, laid out like the
 * list: on its own line in a list written one entry per line, after a comma in a one-line list. An empty one-line
 * list given a multi-line entry opens up, as prettier would lay it out.
 */
export function appendToList(
  text: string,
  list: ts.ArrayLiteralExpression | ts.ObjectLiteralExpression,
  added: string,
): string {
  const entries: ts.NodeArray<ts.Node> = ts.isArrayLiteralExpression(list) ? list.elements : list.properties;
  const source = list.getSourceFile();
  const open = list.getStart(source);
  const closing = list.getEnd() - 1;
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  if (entries.length === 0) {
    const indent = indentOf(text, open);
    if (lineOf(open) !== lineOf(closing)) {
      const lineStart = text.lastIndexOf('\n', closing - 1) + 1;
      return insert(text, lineStart, `${indent}  ${indented(added, `${indent}  `)},\n`);
    }
    if (!added.includes('\n')) {
      return insert(text, open + 1, ts.isArrayLiteralExpression(list) ? added : ` ${added} `);
    }
    return text.slice(0, open + 1) + `\n${indent}  ${indented(added, `${indent}  `)},\n${indent}` + text.slice(closing);
  }
  const last = entries[entries.length - 1];
  const end = entries.hasTrailingComma ? text.indexOf(',', last.getEnd()) + 1 : last.getEnd();
  if (lineOf(open) === lineOf(last.getStart(source))) {
    return insert(text, end, `${entries.hasTrailingComma ? ' ' : ', '}${oneLine(added)}`);
  }
  const indent = indentOf(text, last.getStart(source));
  const entry = indented(added, indent);
  return insert(
    text,
    end,
    `${entries.hasTrailingComma ? '' : ','}\n${indent}${entry}${entries.hasTrailingComma ? ',' : ''}`,
  );
}

/** `import { name } from 'from'`, merged into an import of the same module when the file has one. */
export function addNamedImport(path: string, text: string, name: string, from: string): string {
  const source = parse(path, text);
  const imports = source.statements.filter(ts.isImportDeclaration);
  for (const declaration of imports) {
    if (!ts.isStringLiteral(declaration.moduleSpecifier) || declaration.moduleSpecifier.text !== from) continue;
    const bindings = declaration.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings) || declaration.importClause?.isTypeOnly) continue;
    if (bindings.elements.some((element) => element.name.text === name)) return text;
    const last = bindings.elements[bindings.elements.length - 1];
    if (last) return insert(text, last.getEnd(), `, ${name}`);
  }
  if (imports.some((declaration) => importsName(declaration, name))) return text;
  const line = `import { ${name} } from ${quote(from)};`;
  const after = imports[imports.length - 1];
  return after ? insert(text, after.getEnd(), `\n${line}`) : `${line}\n${text}`;
}

function importsName(declaration: ts.ImportDeclaration, name: string): boolean {
  const bindings = declaration.importClause?.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.some((element) => element.name.text === name);
}

/** The object literal of the first `@Module({ … })` class decorator in the file. */
export function moduleMetadata(source: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  for (const statement of source.statements) {
    if (!ts.isClassDeclaration(statement)) continue;
    for (const decorator of ts.getDecorators(statement) ?? []) {
      const call = decorator.expression;
      if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== 'Module')
        continue;
      const [metadata] = call.arguments;
      if (metadata && ts.isObjectLiteralExpression(metadata)) return metadata;
    }
  }
  return undefined;
}

/** A property of an object literal, by name. */
export function property(object: ts.ObjectLiteralExpression, name: string): ts.PropertyAssignment | undefined {
  return object.properties.find(
    (candidate): candidate is ts.PropertyAssignment =>
      ts.isPropertyAssignment(candidate) &&
      (ts.isIdentifier(candidate.name) || ts.isStringLiteral(candidate.name)) &&
      candidate.name.text === name,
  );
}

/**
 * `entry` added to the `@Module` array `key` (imports, providers, controllers), the array created when missing;
 * nothing when an entry already starts with `present`. Undefined when the file has no `@Module({ … })` whose
 * `key` is an array literal (a spread or a variable: the caller says what to add by hand).
 */
export function addToModuleArray(path: string, text: string, key: string, entry: string, present: string) {
  const metadata = moduleMetadata(parse(path, text));
  if (!metadata) return undefined;
  const found = property(metadata, key);
  if (!found) return appendToList(text, metadata, `${key}: [${entry}]`);
  if (!ts.isArrayLiteralExpression(found.initializer)) return undefined;
  const source = metadata.getSourceFile();
  if (found.initializer.elements.some((element) => element.getText(source).startsWith(present))) return text;
  return appendToList(text, found.initializer, entry);
}

/** Every call `receiver.method(…)` in the file, e.g. `TypeOrmModule.forRoot(…)`. */
export function callsOf(source: ts.SourceFile, receiver: string, methods: string[]): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === receiver &&
      methods.includes(node.expression.name.text)
    ) {
      calls.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

/** The object a `useFactory` returns when it is written as `() => ({ … })` or `() => { return { … }; }`. */
export function factoryResult(options: ts.ObjectLiteralExpression): ts.ObjectLiteralExpression | undefined {
  const factory = property(options, 'useFactory')?.initializer;
  if (!factory || !(ts.isArrowFunction(factory) || ts.isFunctionExpression(factory))) return undefined;
  let body: ts.Node = factory.body;
  if (ts.isBlock(body)) {
    const returned = body.statements.filter(ts.isReturnStatement);
    if (returned.length !== 1 || !returned[0].expression) return undefined;
    body = returned[0].expression;
  }
  while (ts.isParenthesizedExpression(body)) body = body.expression;
  return ts.isObjectLiteralExpression(body) ? body : undefined;
}

/** `statement` inserted on the line after the one that declares `const <name> = await NestFactory.create…(…)`. */
export function addAfterAppCreation(path: string, text: string, statement: (app: string) => string) {
  const source = parse(path, text);
  let result: string | undefined;
  const visit = (node: ts.Node): void => {
    if (result !== undefined) return;
    if (ts.isVariableStatement(node)) {
      const [declaration] = node.declarationList.declarations;
      let value = declaration?.initializer;
      if (value && ts.isAwaitExpression(value)) value = value.expression;
      if (
        value &&
        ts.isIdentifier(declaration.name) &&
        ts.isCallExpression(value) &&
        value.expression.getText(source).startsWith('NestFactory.create')
      ) {
        const indent = indentOf(text, node.getStart(source));
        result = insert(text, node.getEnd(), `\n${indent}${statement(declaration.name.text)}`);
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return result;
}
