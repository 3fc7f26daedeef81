// route-lookup peer: npm find-my-way on the GitHub API set, every route
// requested once per round (GithubAll), best of 3; and 10,000 routes built,
// the same shapes as bench_router. Prints JSON lines like the C bench.
// Usage: node tests/bench/find-my-way-bench.mjs ROUTES_DIR [SECONDS]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'tests/oracles/package.json'));
const findMyWay = require('find-my-way');
const [dir, seconds = '0.5'] = process.argv.slice(2);
const routes = JSON.parse(readFileSync(join(dir, 'github.json'), 'utf8'));
const router = findMyWay();
for (const r of routes) router.on(r.method, r.path, () => {});
const round = () => {
  for (const r of routes) if (!router.find(r.method, r.path)) throw new Error(`no match: ${r.method} ${r.path}`);
};
for (let i = 0; i < 2000; i++) round(); // warm the JIT
let best = 0;
for (let k = 0; k < 3; k++) {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < Number(seconds)) {
    round();
    n++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  best = Math.max(best, (n * routes.length) / elapsed);
}
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const t0 = process.hrtime.bigint();
const big = findMyWay();
for (let i = 0; i < 10000; i++) {
  const v = i % 7;
  const path = [`/api/v${v}/res${i}`, `/api/v${v}/res${i}/:id`, `/api/v${v}/res${i}/:id/items/:item`, `/api/v${v}/res${i}/:id/files/*`][i % 4];
  big.on(METHODS[Math.floor(i / 4) % 4], path, () => {});
}
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
const line = (bench, tcase, metric, value) =>
  console.log(JSON.stringify({ bench, case: tcase, subject: 'find-my-way-node', metric, value: Math.round(value * 10) / 10 }));
line('route-lookup', 'github-all', 'ops_per_s', best);
line('route-lookup', 'github-all', 'ns_per_lookup', 1e9 / best);
line('route-build', '10k-routes', 'build_ms', buildMs);
