// policy-decide peer: node-casbin on the same world as bench_policy, within a
// time budget (it is slow on large worlds). Prints JSON lines like the C bench.
// Usage: node tests/bench/casbin-bench.mjs WORLD_DIR CASE [BUDGET_SECONDS]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'tests/oracles/package.json'));
const { newEnforcer, newModelFromString, StringAdapter } = require('casbin');
const { MODEL } = await import(join(process.cwd(), 'tests/oracles/gen-policy-worlds.mjs').replace(/^/, 'file://'));
const [dir, name, budget = '3'] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(join(dir, 'queries.json'), 'utf8'));
const t0 = process.hrtime.bigint();
const e = await newEnforcer(newModelFromString(MODEL), new StringAdapter(readFileSync(join(dir, 'casbin-policy.csv'), 'utf8')));
const load = Number(process.hrtime.bigint() - t0) / 1e6;
let n = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < Number(budget)) {
  const q = queries[n % queries.length];
  await e.enforce(q.subject, q.resource, q.action);
  n++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
for (const [metric, value] of [['ops_per_s', n / elapsed], ['compile_ms', load]])
  console.log(JSON.stringify({ bench: 'policy-decide', case: name, subject: 'node-casbin', metric, value: Math.round(value * 10) / 10 }));
