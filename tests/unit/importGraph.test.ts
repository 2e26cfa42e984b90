// The relative imports of src/ and cli/ form no cycle (type-only imports, re-exports and dynamic imports count too).
// The one allowed loop is zustand's slice pattern: src/store/index.ts builds the store from the *Slice.ts files, and a
// slice imports only the StudioState *type* back from index.ts. A failure names the cycle, file by file.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');
const SOURCE_EXTENSIONS = ['.ts', '.tsx'];

interface Edge {
  to: string;
  typeOnly: boolean;
}
type Graph = Map<string, Edge[]>;

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(rel));
    else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The repository file a relative specifier names, or null for a non-source file (json, css, wasm). */
function resolve(from: string, specifier: string): string | null {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const candidates = [base, ...SOURCE_EXTENSIONS.map((ext) => base + ext), ...SOURCE_EXTENSIONS.map((ext) => `${base}/index${ext}`)];
  for (const c of candidates) {
    if (SOURCE_EXTENSIONS.some((ext) => c.endsWith(ext)) && fs.existsSync(path.join(root, c))) return c;
  }
  return null;
}

/** Every relative module a file imports: static and dynamic imports, `import('…')` types and re-exports. */
function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const add = (specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
    const to = resolve(file, specifier.text);
    if (to) edges.push({ to, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const allNamedTypeOnly =
        !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || (!clause.name && allNamedTypeOnly)));
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const allNamedTypeOnly = !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, node.isTypeOnly || allNamedTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

function buildGraph(dirs: string[]): Graph {
  const graph: Graph = new Map();
  for (const file of dirs.flatMap(listSources)) graph.set(file, importsOf(file));
  return graph;
}

const STORE_INDEX = 'src/store/index.ts';
/** zustand's slice pattern: a src/store/*Slice.ts importing only types from src/store/index.ts. */
const isSliceTypeEdge = (from: string, edge: Edge) =>
  edge.typeOnly && edge.to === STORE_INDEX && /^src\/store\/[A-Za-z]+Slice\.ts$/.test(from);

/** A path from `start` to `goal` (both included) along edges that `keep` accepts, or null. */
function findPath(graph: Graph, start: string, goal: string, keep: (from: string, edge: Edge) => boolean): string[] | null {
  const previous = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const edge of graph.get(node) ?? []) {
      if (!keep(node, edge) || previous.has(edge.to)) continue;
      previous.set(edge.to, node);
      if (edge.to === goal) {
        const route = [goal];
        while (route[0] !== start) route.unshift(previous.get(route[0])!);
        return route;
      }
      queue.push(edge.to);
    }
  }
  return null;
}

/**
 * The import cycles of `graph`, each written `a → b → … → a`: one per strongly connected component (Tarjan), found
 * with the allowed slice-type edges removed; then, for each allowed edge slice → index, any route from index back to
 * that slice other than the direct import, which would make the allowed edge part of a longer loop.
 */
function findCycles(graph: Graph): string[] {
  const keep = (from: string, edge: Edge) => !isSliceTypeEdge(from, edge);
  const cycles: string[] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let counter = 0;
  const strongConnect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const edge of graph.get(node) ?? []) {
      if (!keep(node, edge)) continue;
      if (!index.has(edge.to)) {
        strongConnect(edge.to);
        low.set(node, Math.min(low.get(node)!, low.get(edge.to)!));
      } else if (onStack.has(edge.to)) {
        low.set(node, Math.min(low.get(node)!, index.get(edge.to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = new Set<string>();
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.add(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).some((e) => e.to === node);
    if (component.size === 1 && !selfLoop) return;
    // One concrete loop through the component: from its root out along an edge in the component and back.
    const inside = (from: string, edge: Edge) => keep(from, edge) && component.has(edge.to);
    const first = (graph.get(node) ?? []).find((e) => inside(node, e))!;
    const back = first.to === node ? [node] : findPath(graph, first.to, node, inside)!;
    const loop = [node, ...back].join(' → ');
    cycles.push(component.size <= back.length ? loop : `${loop} (in a loop of ${component.size} files: ${[...component].sort().join(', ')})`);
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) strongConnect(node);

  for (const [from, edges] of graph) {
    for (const edge of edges) {
      if (!isSliceTypeEdge(from, edge)) continue;
      const notDirect = (a: string, e: Edge) => keep(a, e) && !(a === STORE_INDEX && e.to === from);
      const route = findPath(graph, STORE_INDEX, from, notDirect);
      if (route) cycles.push([...route, STORE_INDEX].join(' → '));
    }
  }
  return cycles;
}

describe('import graph', () => {
  it('finds and names a cycle, type-only imports included, and allows only the direct slice-type loop', () => {
    const g = (edges: Record<string, Array<[string, boolean]>>): Graph =>
      new Map(Object.entries(edges).map(([from, list]) => [from, list.map(([to, typeOnly]) => ({ to, typeOnly }))]));
    expect(findCycles(g({ 'a.ts': [['b.ts', false]], 'b.ts': [['c.ts', true]], 'c.ts': [['a.ts', false]] }))).toEqual([
      'a.ts → b.ts → c.ts → a.ts',
    ]);
    expect(findCycles(g({ 'a.ts': [['b.ts', false]], 'b.ts': [] }))).toEqual([]);
    const storeSlice = 'src/store/fooSlice.ts';
    expect(findCycles(g({ [STORE_INDEX]: [[storeSlice, false]], [storeSlice]: [[STORE_INDEX, true]] }))).toEqual([]);
    // A value import back from index.ts is a real loop.
    expect(findCycles(g({ [STORE_INDEX]: [[storeSlice, false]], [storeSlice]: [[STORE_INDEX, false]] }))).toEqual([
      `${storeSlice} → ${STORE_INDEX} → ${storeSlice}`,
    ]);
    // index → other → slice → (type) index: the slice-type edge closes a longer loop.
    expect(
      findCycles(g({ [STORE_INDEX]: [['src/store/other.ts', false]], 'src/store/other.ts': [[storeSlice, false]], [storeSlice]: [[STORE_INDEX, true]] })),
    ).toEqual([`${STORE_INDEX} → src/store/other.ts → ${storeSlice} → ${STORE_INDEX}`]);
  });

  it('src/ and cli/ have no import cycle', () => {
    const graph = buildGraph(['src', 'cli']);
    expect(graph.size).toBeGreaterThan(100);
    expect(findCycles(graph)).toEqual([]);
  });
});
