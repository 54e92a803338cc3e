/**
 * No module under src/ reaches itself through its imports, type-only imports included: a
 * cycle of types is still two modules that cannot be read, moved or tested one without
 * the other. Dynamic `import()` is left out, since it loads on demand.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/**
 * `import … from './x.ts'`, `import type …`, `export … from`, `import './x.ts'`, over several
 * lines too. The clause before `from` may hold only what an import clause holds (names,
 * braces, commas, `*`), so `export const a = b.from('./x')` is not taken for one.
 */
const RELATIVE_IMPORT = /^\s*(?:(?:import|export)\s+(?:[\w$\s{},*]*?\s)?from\s*|import\s*)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The relative specifiers a module's source imports or re-exports from. */
function relativeImports(source: string): string[] {
  return [...source.matchAll(RELATIVE_IMPORT)].map((match) => match[1] ?? '');
}

type Graph = ReadonlyMap<string, readonly string[]>;

/**
 * Every cycle a depth-first walk closes, each as the path from a module back to itself. A
 * module still on the walk's path when an import leads back to it closes one; a module
 * fully walked can lead to no cycle not already found.
 */
function findCycles(graph: Graph): string[][] {
  const onPath: string[] = [];
  const state = new Map<string, 'walking' | 'done'>();
  const cycles: string[][] = [];
  const walk = (node: string): void => {
    state.set(node, 'walking');
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'walking') cycles.push([...onPath.slice(onPath.indexOf(next)), next]);
      else if (seen === undefined) walk(next);
    }
    onPath.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) walk(node);
  return cycles;
}

/** src/'s modules (tests left out) and, for each, the modules of src/ it imports, as paths relative to src/. */
function sourceGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(SRC, file))
    .sort();
  return new Map(
    files.map((file) => {
      const imports = relativeImports(readFileSync(file, 'utf8')).map((specifier) =>
        relative(SRC, resolve(dirname(file), specifier)),
      );
      return [relative(SRC, file), [...new Set(imports)].sort()];
    }),
  );
}

test('the import scanner reads every form of relative import and export, and nothing else', () => {
  const source = [
    "import { a, type B } from './a.ts';",
    "import type { C } from '../c.ts';",
    'import {',
    '  d,',
    '  e as f,',
    "} from './d.ts';",
    "import * as g from './g.ts';",
    "import h, { i } from './h.ts';",
    "import './side-effect.ts';",
    "export { j } from './j.ts';",
    "export type { K } from './k.ts';",
    "export * from './all.ts';",
    "import ort from 'onnxruntime-node';",
    "import { join } from 'node:path';",
    "export const url = new URL('./worker.ts', import.meta.url);",
    "export function load() { return import('./lazy.ts'); }",
    "const text = b.from('./not-an-import.ts');",
  ].join('\n');
  assert.deepEqual(relativeImports(source), [
    './a.ts',
    '../c.ts',
    './d.ts',
    './g.ts',
    './h.ts',
    './side-effect.ts',
    './j.ts',
    './k.ts',
    './all.ts',
  ]);
});

test('the cycle finder reports each cycle from a module back to itself, and none in a graph without one', () => {
  const cases: Array<[string, Record<string, string[]>, string[][]]> = [
    ['a chain', { a: ['b'], b: ['c'], c: [] }, []],
    ['a diamond', { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, []],
    ['an import of a module outside the graph', { a: ['elsewhere'] }, []],
    ['two modules importing each other', { a: ['b'], b: ['a'] }, [['a', 'b', 'a']]],
    ['a module importing itself', { a: ['a'] }, [['a', 'a']]],
    ['a cycle of three behind a tail', { a: ['b'], b: ['c'], c: ['d'], d: ['b'] }, [['b', 'c', 'd', 'b']]],
  ];
  for (const [name, edges, cycles] of cases) {
    assert.deepEqual(findCycles(new Map(Object.entries(edges))), cycles, name);
  }
});

test('no module under src/ imports itself back, even through type-only imports', () => {
  const graph = sourceGraph();
  const edges = [...graph.values()].reduce((sum, imports) => sum + imports.length, 0);
  assert.ok(edges > graph.size, `the scan found only ${edges} imports among ${graph.size} modules`);
  const cycles = findCycles(graph).map((cycle) => cycle.join(' → '));
  assert.deepEqual(cycles, [], `import cycles under src/:\n  ${cycles.join('\n  ')}`);
});
