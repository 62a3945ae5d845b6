// zerograd's architecture, as rules over the import graph of src/. This header is the map;
// the tests below hold the code to it on every `npm test`.
//
// ZONES: every file of src/ is in exactly one (first match wins, patterns in ZONES below).
//   test: *.test.ts anywhere, src/testing/** (shared helpers), src/docs/** (docs tests). Tests may
//         import across every layer and use Node freely, so they are EXEMPT from rules 1-5; they
//         are still parsed, and still may not close an import cycle (rule 6).
//   node: Node-only entry points and modules: src/node.ts ('zerograd/node'), src/cli/**,
//         src/bench/**, src/experiments/** (run by the CLI), and the Node parts of core folders:
//         src/data/mnist.ts, src/data/image-file.ts, src/data/image-folder.ts (read and decode files), src/io/node.ts (writes files),
//         src/io/onnx.ts (encodes through protobufjs),
//         src/backends/wasm/node*.ts (worker_threads).
//   web:  src/web/**, the explainer page, bundled by esbuild for the browser.
//   core: everything else: src/index.ts ('zerograd') and the library folders. It is what the
//         browser loads, so it must run anywhere.
//
// RULES
//   1. core is portable: it imports no Node built-in (`node:*`, `fs`, `path`, ...), no npm package
//      (zerograd is built from zero), nothing from the node or web zones; and it does not use
//      `process`, `Buffer`, `require`, `__dirname`, `__filename` or `global` at run time.
//   2. Ops own the math, backends own the loops: core outside src/backends reaches the backends
//      only through the registry, src/backends/index.ts, the layout helpers src/backends/strides.ts,
//      and type-only imports of the interface src/backends/backend.ts; never a backend itself
//      (backends/reference, backends/wasm). Entry points (node, web) choose backends; they may.
//   3. Backends are the bottom: src/backends/** imports nothing outside src/backends (no tensor,
//      autograd, ops, nn, ...), and the reference backend, the specification, imports only its own
//      files, backend.ts and strides.ts.
//   4. web imports no Node built-in and nothing from the node zone.
//   5. Folders depend downward only, in the order of LAYERS below (a folder may import itself and
//      any folder on an earlier line, never one on its own line or a later one). So the folders
//      form no cycle, and the list reads as the architecture from the bottom up.
//   6. No import cycle between files.
//   7. A test that loads Tensor at run time also loads its methods (src/ops/methods.ts), directly or
//      through a module that does (index.ts, ops/index.ts, nn/module.ts, data/dataset.ts, testing/helpers.ts):
//      src/tensor no longer imports them, and `x.add is not a function` is a confusing failure.
// Type-only imports (`import type`, `export type ... from`, `typeof import(...)`, and
// `declare module` augmentations) count in every rule: a type cycle is still a cycle for the
// reader, and the graph has none, so there is no need for an exemption. Rule 2 is the one place
// where being type-only matters (backend.ts may be imported for its types only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { Tensor } from './index.js';

/** The folders of src (and its two root entry files) from the bottom up; one line is one layer. */
const LAYERS: readonly string[][] = [
  ['backends'],                          // kernels: reference (the specification), wasm; the registry
  ['tensor'],                            // storage, shapes, the seeded random generator
  ['autograd'],                          // the backward pass, gradcheck
  ['ops'],                               // the math: forward through kernels, backward beside it
  ['nn', 'losses', 'optim', 'data'],     // layers, losses, optimizers, data sets and loaders
  ['models', 'io'],                      // MLP/DNN/CNN builders, the model file format
  ['train'],                             // fit, evaluate, predict
  ['detection', 'tabular'],              // R-CNN (boxes, MNIST-Det, selective search, SVMs, mAP); tabular estimators
  ['index.ts'],                          // the browser-safe public entry, 'zerograd'
  ['node.ts', 'experiments', 'web'],     // 'zerograd/node', the experiments, the explainer page
  ['cli', 'bench'],                      // the command line, the benchmarks
];

type Zone = 'test' | 'node' | 'web' | 'core';
const ZONES: ReadonlyArray<[Zone, string[]]> = [
  ['test', ['**/*.test.ts', 'testing/**', 'docs/**']],
  ['node', ['node.ts', 'cli/**', 'bench/**', 'experiments/**', 'data/mnist.ts', 'data/image-file.ts', 'data/image-folder.ts', 'io/node.ts', 'io/onnx.ts', 'backends/wasm/node*.ts']],
  ['web', ['web/**']],
  ['core', ['**']],
];
const RUNTIME_NODE_GLOBALS = new Set(['process', 'Buffer', 'require', '__dirname', '__filename', 'global']);

// ---- reading the graph ----

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** 'cli/**' -> /^cli\/.*$/, 'backends/wasm/node*.ts' -> /^backends\/wasm\/node[^/]*\.ts$/ */
function glob(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/?|\*/g, (m) => (m === '*' ? '[^/]*' : '(?:.*/)?'));
  return new RegExp(`^${re.replace(/\(\?:\.\*\/\)\?$/, '.*')}$`);
}
const zoneMatchers = ZONES.map(([zone, patterns]) => [zone, patterns.map(glob)] as const);
function zoneOf(file: string): Zone {
  for (const [zone, res] of zoneMatchers) if (res.some((re) => re.test(file))) return zone;
  throw new Error(`zoneOf: no zone for ${file}, expected the catch-all 'core' pattern to match`);
}
/** The layer unit of a file: its top folder under src, or the file itself at the root. */
const unitOf = (file: string): string => file.split('/')[0];

interface Edge {
  from: string;        // file, relative to src, with '/' separators
  spec: string;        // the specifier as written
  to: string | null;   // resolved file relative to src, or null for packages and builtins
  typeOnly: boolean;
  line: number;
}

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTs(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const toRel = (abs: string): string => relative(SRC, abs).split(sep).join('/');

/** './x.js' -> src file: the .ts behind a .js specifier, an extensionless one, or a folder index. */
function resolveRelative(fromAbs: string, spec: string): string | null {
  const base = resolve(dirname(fromAbs), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.d.ts'), `${base}.ts`, join(base, 'index.ts'), base];
  const hit = candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
  return hit ? toRel(hit) : null;
}

/** Every dependency a file states: imports, re-exports, dynamic and type imports, module augmentations. */
function edgesOf(abs: string): { edges: Edge[]; globals: Array<{ name: string; line: number }> } {
  const from = toRel(abs);
  const sf = ts.createSourceFile(abs, readFileSync(abs, 'utf8'), ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const globals: Array<{ name: string; line: number }> = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (specNode: ts.Node, typeOnly: boolean, at: ts.Node) => {
    if (!ts.isStringLiteralLike(specNode)) return;
    const spec = specNode.text;
    const to = spec.startsWith('.') ? resolveRelative(abs, spec) : null;
    if (spec.startsWith('.') && to === null) throw new Error(`${from}:${lineOf(at)}: import '${spec}' resolves to no .ts file in src`);
    edges.push({ from, spec, to, typeOnly, line: lineOf(at) });
  };
  const visit = (node: ts.Node, inType: boolean): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : null;
      const allTypes = !!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause?.isTypeOnly || allTypes, node);
      return;
    }
    if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)), node);
      return;
    }
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly, node);
      return;
    }
    if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name) && ts.isExternalModule(sf)) {
      add(node.name, true, node); // declare module '../tensor/tensor.js' { ... }: an augmentation
      inType = true;
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true, node);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      add(node.arguments[0], false, node);
    }
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) inType = true;
    if (!inType && ts.isIdentifier(node) && RUNTIME_NODE_GLOBALS.has(node.text) && isValueReference(node)) {
      globals.push({ name: node.text, line: lineOf(node) });
    }
    ts.forEachChild(node, (child) => visit(child, inType));
  };
  visit(sf, false);
  return { edges, globals };
}

/** An identifier that reads a variable (`process.env`, `Buffer.from(...)`), not a property or declaration name. */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isShorthandPropertyAssignment(p)) return true; // { process } reads the variable
  if (ts.isQualifiedName(p)) return false;
  // x.process, { process: 1 }, const process = ..., function process() {}, class members, parameters
  return (p as { name?: ts.Node }).name !== id;
}

const files = listTs(SRC).map(toRel).sort();
const parsed = new Map(listTs(SRC).map((abs) => [toRel(abs), edgesOf(abs)]));
const allEdges = [...parsed.values()].flatMap((p) => p.edges);
const isNodeBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);
const show = (e: Edge, why: string) => `${e.from}:${e.line} imports '${e.spec}'${e.typeOnly ? ' (type-only)' : ''}: ${why}`;
const report = (rule: string, problems: string[]) =>
  assert.deepEqual(problems, [], `${rule}\n  ${problems.join('\n  ')}`);

// ---- the rules ----

test('layering: every file has a zone and every folder a layer', () => {
  assert.ok(files.includes('index.ts') && files.includes('ops/methods.ts'), `expected to read src/ from ${SRC}, found ${files.length} files`);
  const placed = new Set(LAYERS.flat());
  const unplaced = [...new Set(files.filter((f) => zoneOf(f) !== 'test').map(unitOf))].filter((u) => !placed.has(u));
  report('rule 5: these folders of src are not in LAYERS; place each on the line of its layer', unplaced);
});

test('rule 1: the core imports nothing Node-only and uses no Node globals', () => {
  const problems: string[] = [];
  for (const e of allEdges.filter((x) => zoneOf(x.from) === 'core')) {
    if (e.to === null && isNodeBuiltin(e.spec)) problems.push(show(e, 'a Node built-in; move this code to a node-zone file (src/node.ts, src/io/node.ts, ...)'));
    else if (e.to === null) problems.push(show(e, 'an npm package; the core depends on no package'));
    else if (zoneOf(e.to) !== 'core' && zoneOf(e.to) !== 'test') problems.push(show(e, `a ${zoneOf(e.to)}-zone file; the core must not depend on it`));
    else if (zoneOf(e.to) === 'test') problems.push(show(e, 'a test file'));
  }
  for (const [file, { globals }] of parsed) {
    if (zoneOf(file) !== 'core') continue;
    for (const g of globals) problems.push(`${file}:${g.line} uses '${g.name}', a Node global; pass the value in from a node-zone caller`);
  }
  report('rule 1: the core must run in a browser', problems);
});

test('rule 2: outside src/backends the core reaches kernels only through the backend registry', () => {
  const problems = allEdges
    .filter((e) => zoneOf(e.from) === 'core' && unitOf(e.from) !== 'backends' && e.to !== null && unitOf(e.to) === 'backends')
    .filter((e) => !(e.to === 'backends/index.ts' || e.to === 'backends/strides.ts' || (e.to === 'backends/backend.ts' && e.typeOnly)))
    .map((e) => show(e, 'use backend() from backends/index.ts (and `import type` from backends/backend.ts)'));
  report('rule 2: ops own the math, backends own the loops', problems);
});

test('rule 3: backends import nothing above them; the reference backend only its interface', () => {
  const problems: string[] = [];
  for (const e of allEdges.filter((x) => unitOf(x.from) === 'backends' && zoneOf(x.from) !== 'test' && x.to !== null)) {
    if (unitOf(e.to!) !== 'backends') problems.push(show(e, 'a backend imports only from src/backends'));
    else if (e.from.startsWith('backends/reference/') && !e.to!.startsWith('backends/reference/')
      && e.to !== 'backends/backend.ts' && e.to !== 'backends/strides.ts') {
      problems.push(show(e, 'the reference backend imports only backend.ts, strides.ts and its own files'));
    }
  }
  report('rule 3: backends are the bottom layer', problems);
});

test('rule 4: the web page imports nothing Node-only', () => {
  const problems = allEdges.filter((e) => zoneOf(e.from) === 'web').flatMap((e) => {
    if (e.to === null) return isNodeBuiltin(e.spec) ? [show(e, 'a Node built-in')] : [];
    return zoneOf(e.to) === 'node' || zoneOf(e.to) === 'test' ? [show(e, `a ${zoneOf(e.to)}-zone file`)] : [];
  });
  report('rule 4: the explainer page runs in the browser', problems);
});

test('rule 5: folders depend only on the layers below them', () => {
  const rank = new Map(LAYERS.flatMap((line, i) => line.map((u) => [u, i] as const)));
  const problems = allEdges
    .filter((e) => zoneOf(e.from) !== 'test' && e.to !== null && unitOf(e.from) !== unitOf(e.to))
    .filter((e) => !(rank.get(unitOf(e.to!))! < rank.get(unitOf(e.from))!))
    .map((e) => show(e, `layer '${unitOf(e.from)}' (line ${rank.get(unitOf(e.from))! + 1} of LAYERS) must not depend on '${unitOf(e.to!)}' (line ${rank.get(unitOf(e.to!))! + 1})`));
  report('rule 5: dependencies point down the layers', problems);
  // Independently of the order above: the folder graph has no cycle (a cycle would name its folders).
  const folderEdges = allEdges.filter((e) => zoneOf(e.from) !== 'test' && e.to !== null && unitOf(e.from) !== unitOf(e.to))
    .map((e) => [unitOf(e.from), unitOf(e.to!)] as const);
  report('rule 5: import cycles between folders', findCycles(folderEdges).map((c) => c.join(' -> ')));
});

test('rule 6: no import cycle between files', () => {
  const fileEdges = allEdges.filter((e) => e.to !== null).map((e) => [e.from, e.to!] as const);
  report('rule 6: import cycles between files', findCycles(fileEdges).map((c) => c.join(' -> ')));
});

test('rule 7: every test that loads Tensor also loads its methods', () => {
  // Reachability over run-time edges only: a type-only import loads nothing.
  const runtime = new Map<string, string[]>();
  for (const e of allEdges) if (e.to !== null && !e.typeOnly) runtime.set(e.from, [...(runtime.get(e.from) ?? []), e.to]);
  const closure = (file: string): Set<string> => {
    const seen = new Set([file]);
    const todo = [file];
    while (todo.length > 0) for (const next of runtime.get(todo.pop()!) ?? []) if (!seen.has(next)) { seen.add(next); todo.push(next); }
    return seen;
  };
  const problems = files.filter((f) => f.endsWith('.test.ts')).flatMap((f) => {
    const loaded = closure(f);
    return loaded.has('tensor/tensor.ts') && !loaded.has('ops/methods.ts')
      ? [`${f} loads tensor/tensor.ts but not ops/methods.ts: add \`import '${relative(dirname(f), 'ops/methods.js').split(sep).join('/').replace(/^(?!\.)/, './')}';\``]
      : [];
  });
  report('rule 7: Tensor methods are loaded wherever Tensor is', problems);
});

test("layering: 'zerograd' attaches backward() and every op method to Tensor", () => {
  // The methods live in the layers above src/tensor (see tensor.ts); the public entry must load them.
  const src = readFileSync(join(SRC, 'ops/methods.ts'), 'utf8');
  const block = /interface TensorOps \{([\s\S]*?)\n\}/.exec(src);
  assert.ok(block, 'ops/methods.ts: expected an `interface TensorOps { ... }` listing the op methods');
  const names = [...block[1].matchAll(/^\s+(\w+)\(/gm)].map((m) => m[1]);
  assert.ok(names.length >= 20, `ops/methods.ts: found only ${names.length} methods in TensorOps`);
  const missing = [...names, 'backward'].filter((n) => typeof (Tensor.prototype as unknown as Record<string, unknown>)[n] !== 'function');
  assert.deepEqual(missing, [], `Tensor.prototype lacks ${missing.join(', ')} after importing src/index.ts`);
});

/** The cycles of a directed graph: one cycle (as a path that returns to its start) per strongly connected component. */
function findCycles(edges: ReadonlyArray<readonly [string, string]>): string[][] {
  const next = new Map<string, Set<string>>();
  for (const [a, b] of edges) {
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  // Tarjan's algorithm, recursive: the graphs here have a few hundred nodes.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strongConnect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of next.keys()) if (!index.has(v)) strongConnect(v);
  // For each component, a concrete cycle to read: breadth-first from its first node back to itself.
  return components.map((component) => {
    const inside = new Set(component);
    const start = component[component.length - 1];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of next.get(v) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(prev.get(path[0])!);
          return [...path, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return component;
  });
}
