// policy-decide peer: node-casbin on the same world as bench_policy, with
// enforceSync (no promise per decision) and a matcher that puts the cheap
// terms first, as a careful user would write it. Served as
// tests/bench/serve.mjs says. Usage: node tests/bench/casbin-bench.mjs WORLD_DIR CASE
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fact, serve, subject } from './serve.mjs';

const require = createRequire(join(process.cwd(), 'tests/oracles/package.json'));
const { newEnforcer, newModelFromString, StringAdapter } = require('casbin');
const { MODEL } = await import(join(process.cwd(), 'tests/oracles/gen-policy-worlds.mjs').replace(/^/, 'file://'));
const [dir, name] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(join(dir, 'queries.json'), 'utf8'));
const t0 = process.hrtime.bigint();
const e = await newEnforcer(newModelFromString(MODEL), new StringAdapter(readFileSync(join(dir, 'casbin-policy.csv'), 'utf8')));
fact('policy-decide', name, 'node-casbin', 'compile_ms', Number(process.hrtime.bigint() - t0) / 1e6);
let next = 0;
let allowed = 0;
subject('policy-decide', name, 'node-casbin', () => {
  const q = queries[next++ % queries.length];
  allowed += e.enforceSync(q.subject, q.resource, q.action) ? 1 : 0;
});
await serve();
