// Generates tests/vectors/graphql/cases.json: GraphQL documents and what
// graphql-js (the reference implementation) makes of them: whether they
// parse, the operation that runs, its root fields (in its selection set and
// its inline fragments there), the document's aliases
// and the selection depth through fragments (inline fragments add none).
// The guard (lib/gateway/graphql_guard.c) is checked against these in
// tests/unit/test_graphql.c. Run: node tests/oracles/gen-graphql-fixtures.mjs
import { Kind, parse } from 'graphql';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'graphql');
mkdirSync(out, { recursive: true });

let seed = 12;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed >>> 16) % n; // the high bits: an LCG's low bits cycle
};
const pick = (xs) => xs[rand(xs.length)];
const names = ['a', 'order', 'items', 'id', 'user', 'node', 'edges', 'x_1', 'on', 'query', 'fragment'];
const value = (d) => {
  switch (rand(d > 2 ? 3 : 6)) {
    case 0: return String(rand(100));
    case 1: return JSON.stringify(pick(['}', '{{', 'a "q"', '# not a comment', '...']));
    case 2: return '$v';
    case 3: return `{ k: ${value(d + 1)}, l: [${value(d + 1)}] }`;
    case 4: return '"""block { } \\""" ok"""';
    default: return `[${value(d + 1)}, ${value(d + 1)}]`;
  }
};
const args = (d) => (rand(3) ? '' : `(${pick(['id', 'first', 'if'])}: ${value(d)})`);
const directive = () => (rand(4) ? '' : ` @${pick(['include', 'skip', 'cached'])}(if: ${value(3)})`);

function selectionSet(depth, frags) {
  const n = 1 + rand(3);
  const parts = [];
  for (let i = 0; i < n; i++) {
    const r = rand(10);
    if (r < 6 || depth > 5) {
      const alias = rand(4) ? '' : `${pick(names)}: `;
      const sub = depth < 6 && rand(2) ? ' ' + selectionSet(depth + 1, frags) : '';
      parts.push(`${alias}${pick(names)}${args(0)}${directive()}${sub}`);
    } else if (r < 8) {
      parts.push(`...${rand(2) ? ' on T' : ''}${directive()} ${selectionSet(depth + 1, frags)}`);
    } else if (frags.length) {
      parts.push(`...${pick(frags)}${directive()}`);
    }
  }
  return `{ ${parts.join(rand(2) ? ', ' : '\n# comment {\n')} }`;
}

function documentText() {
  const nFrags = rand(4);
  const frags = [];
  const defs = [];
  // fragments may spread only earlier ones: no cycles
  for (let i = 0; i < nFrags; i++) {
    defs.push(`fragment F${i} on T${directive()} ${selectionSet(1, frags.slice())}`);
    frags.push(`F${i}`);
  }
  const nOps = 1 + (rand(4) === 0 ? 1 : 0);
  const ops = [];
  for (let i = 0; i < nOps; i++) {
    const type = pick(['query', 'mutation', 'subscription']);
    const named = nOps > 1 || rand(2);
    const name = named ? `Op${i}` : '';
    const vars = rand(3) ? '' : '($v: In = { a: { b: 1 } }, $w: [Int!])';
    ops.push(name);
    if (!named && !vars && rand(2)) defs.push(selectionSet(1, frags));
    else defs.push(`${type}${named ? ' ' + name : ''}${vars}${directive()} ${selectionSet(1, frags)}`);
  }
  for (let i = defs.length - 1; i > 0; i--) { // definitions in any order
    const j = rand(i + 1);
    [defs[i], defs[j]] = [defs[j], defs[i]];
  }
  return { text: defs.join('\n'), operationName: nOps > 1 ? ops[rand(nOps)] : '' };
}

function facts(text, operationName) {
  let doc;
  try {
    doc = parse(text);
  } catch {
    return { parses: false };
  }
  const fragments = new Map(doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.some((o) => !o.selectionSet)) return { parses: false };
  let aliases = 0;
  const countAliases = (set) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD && s.alias) aliases++;
      if (s.selectionSet) countAliases(s.selectionSet);
    }
  };
  for (const d of doc.definitions) if (d.selectionSet) countAliases(d.selectionSet);
  const seen = new Set();
  const depthOf = (set, level) => { // level: the depth of this set
    let deepest = level;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD && s.selectionSet) deepest = Math.max(deepest, depthOf(s.selectionSet, level + 1));
      else if (s.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(s.selectionSet, level));
      else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (!f || seen.has(f)) throw new Error('bad fragment');
        seen.add(f);
        deepest = Math.max(deepest, depthOf(f.selectionSet, level));
        seen.delete(f);
      }
    }
    return deepest;
  };
  const op = operationName ? ops.find((o) => o.name && o.name.value === operationName) : ops.length === 1 ? ops[0] : null;
  if (!op) return { parses: true, runs: false };
  let depth = 0;
  try {
    for (const o of ops) depth = Math.max(depth, depthOf(o.selectionSet, 1));
  } catch {
    return { parses: true, runs: false };
  }
  // root fields: written in the operation's selection set, or in inline fragments there (not through named spreads)
  const rootsOf = (set) => set.selections.reduce((n, s) => n + (s.kind === Kind.FIELD ? 1 : s.kind === Kind.INLINE_FRAGMENT ? rootsOf(s.selectionSet) : 0), 0);
  const rootFields = rootsOf(op.selectionSet);
  return { parses: true, runs: true, type: op.operation, operation: op.name ? op.name.value : '', rootFields, aliases, depth };
}

const cases = [];
for (let i = 0; i < 400; i++) {
  const { text, operationName } = documentText();
  cases.push({ text, operationName, ...facts(text, operationName) });
  // a damaged copy: one character removed or doubled
  const at = rand(text.length);
  const damaged = rand(2) ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + text[at] + text.slice(at);
  cases.push({ text: damaged, operationName, ...facts(damaged, operationName) });
}
writeFileSync(join(out, 'cases.json'), JSON.stringify({ generator: 'graphql-js ' + (await import('graphql')).version, cases }, null, 1) + '\n');
console.log(`wrote ${cases.length} cases (${cases.filter((c) => c.runs).length} that run) to ${out}/cases.json`);
