// Random authorization worlds, as gatehouse policy JSON and as node-casbin
// RBAC (deny-override, keyMatch2) — the same world in both languages.
// gatehouse's path rules differ from keyMatch2 in two documented ways
// (docs/security.md): a trailing "*" may take nothing ("/a/*" covers "/a"),
// and neither a trailing slash nor an empty segment counts. casbin is given
// them explicitly: each "/a/*" rule also as "/a", and each query canonical.
//   node gen-policy-worlds.mjs fixtures OUT.json
//       small worlds with node-casbin's decision for every query (committed:
//       tests/vectors/policy/casbin-worlds.json; the C test replays them)
//   node gen-policy-worlds.mjs world ROLES RULES DIR
//       one benchmark world: DIR/policy.json, DIR/casbin-policy.csv, DIR/queries.json
// Deterministic: a seeded xorshift generator.
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MODEL = `
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act, eft
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = (p.act == "*" || r.act == p.act) && (p.sub == "*" || g(r.sub, p.sub)) && keyMatch2(r.obj, p.obj)
`;

function rng(seed) {
  let s = BigInt(seed) | 1n;
  return (n) => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return Number(s % BigInt(n));
  };
}

const ACTIONS = ['GET', 'POST', 'PUT', 'DELETE'];

// roles r0..: levels 0..6, each inheriting from the level below (casbin
// follows at most 10 links); users u0..: bound to 0-3 roles.
export function makeWorld(seed, nRoles, nRules, nUsers, nResources, nQueries = Math.max(200, Math.min(2000, nRules))) {
  const rnd = rng(seed);
  const level = Array.from({ length: nRoles }, (_, i) => (i < 7 ? i : rnd(7)));
  const roles = {};
  const g = [];
  for (let i = 0; i < nRoles; i++) {
    const below = [];
    const k = level[i] ? rnd(3) : 0;
    for (let j = 0; j < k; j++) {
      const cand = rnd(nRoles);
      if (level[cand] === level[i] - 1 && !below.includes(`r${cand}`)) below.push(`r${cand}`);
    }
    roles[`r${i}`] = below.length ? { inherits: below } : {};
    for (const b of below) g.push(`g, r${i}, ${b}`);
  }
  const bindings = [];
  for (let u = 0; u < nUsers; u++) {
    const rs = [];
    for (let j = rnd(4); j > 0; j--) {
      const r = `r${rnd(nRoles)}`;
      if (!rs.includes(r)) rs.push(r);
    }
    if (rs.length) bindings.push({ subject: `u${u}`, roles: rs });
    for (const r of rs) g.push(`g, u${u}, ${r}`);
  }
  // resource patterns: a pool that grows with the rule count
  const resources = [];
  for (let i = 0; i < nResources; i++) {
    const segs = [`s${rnd(Math.max(4, nResources / 4))}`];
    for (let d = rnd(3); d > 0; d--) segs.push(rnd(3) ? `x${rnd(6)}` : ['{id}', '{name}'][rnd(2)]);
    let text = '/' + segs.join('/');
    if (rnd(5) === 0) text += '/*';
    resources.push(text);
  }
  const rules = [];
  const p = [];
  for (let i = 0; i < nRules; i++) {
    const deny = rnd(6) === 0;
    const who = rnd(10);
    const subject = who < 7 ? { roles: [`r${rnd(nRoles)}`] } : who < 9 ? { subjects: [`u${rnd(nUsers)}`] } : { subjects: ['*'] };
    const act = rnd(5) ? ACTIONS[rnd(4)] : '*';
    const res = resources[rnd(nResources)];
    rules.push({ id: `p${i}`, effect: deny ? 'deny' : 'allow', ...subject, actions: [act], resources: [res] });
    const sub = subject.roles ? subject.roles[0] : subject.subjects[0];
    const line = (r) => `p, ${sub}, ${r.replace(/\{(\w+)\}/g, ':$1')}, ${act}, ${deny ? 'deny' : 'allow'}`;
    p.push(line(res));
    if (res.endsWith('/*')) p.push(line(res.slice(0, -2)));
  }
  // queries: mostly instances of rule patterns, some mutated
  const queries = [];
  for (let q = 0; q < nQueries; q++) {
    const pat = resources[rnd(nResources)];
    let path = pat.replace(/\{\w+\}/g, () => `v${rnd(3)}`).replace(/\/\*$/, rnd(2) ? `/t${rnd(3)}` : '/');
    const m = rnd(8);
    if (m === 0) path += `/extra`;
    else if (m === 1) path = path.replace(/\/[^/]*$/, '') || '/';
    else if (m === 2) path += '/';
    queries.push({ subject: `u${rnd(nUsers + 2)}`, action: ACTIONS[rnd(4)], resource: path });
  }
  return { policy: { roles, bindings, rules }, casbinPolicy: [...p, ...g].join('\n'), queries };
}

async function casbinDecisions(world) {
  const e = await newEnforcer(newModelFromString(MODEL), new StringAdapter(world.casbinPolicy));
  const canonical = (r) => r.replace(/\/+/g, '/').replace(/(.)\/$/, '$1'); // empty segments merge too
  return Promise.all(world.queries.map((q) => e.enforce(q.subject, canonical(q.resource), q.action)));
}

const [mode, ...args] = import.meta.url === `file://${process.argv[1]}` ? process.argv.slice(2) : ['import'];
if (mode === 'import') {
  // imported for MODEL
} else if (mode === 'fixtures') {
  const worlds = [];
  const shapes = [[8, 60, 10, 20], [20, 200, 30, 60], [40, 400, 40, 120], [15, 150, 25, 12]];
  for (let i = 0; i < 12; i++) {
    const [roles, rules, users, res] = shapes[i % shapes.length];
    const w = makeWorld(1000 + i, roles, rules, users, res);
    const allow = await casbinDecisions(w);
    worlds.push({ seed: 1000 + i, policy: w.policy, queries: w.queries.map((q, k) => ({ ...q, allow: allow[k] })) });
  }
  writeFileSync(args[0], JSON.stringify({ generator: 'tests/oracles/gen-policy-worlds.mjs with casbin 5.51.1', worlds }) + '\n');
  const n = worlds.reduce((a, w) => a + w.queries.length, 0);
  const allowed = worlds.reduce((a, w) => a + w.queries.filter((q) => q.allow).length, 0);
  console.log(`wrote ${worlds.length} worlds, ${n} queries (${allowed} allowed) to ${args[0]}`);
} else if (mode === 'world') {
  const [roles, rules, dir] = [Number(args[0]), Number(args[1]), args[2]];
  // the same users and queries in every world: worlds differ in their rules alone
  const w = makeWorld(7, roles, rules, 1000, Math.max(20, Math.floor(rules / 5)), 2000);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(w.policy));
  writeFileSync(join(dir, 'casbin-policy.csv'), w.casbinPolicy + '\n');
  writeFileSync(join(dir, 'queries.json'), JSON.stringify(w.queries));
} else {
  console.error('usage: gen-policy-worlds.mjs fixtures OUT.json | world ROLES RULES DIR');
  process.exit(2);
}
