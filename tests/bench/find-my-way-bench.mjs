// route-lookup peer: npm find-my-way on the GitHub API set, every route
// requested once per call (GithubAll); fact: 10,000 routes built, the same
// shapes as bench_router. Served as tests/bench/serve.mjs says.
// Usage: node tests/bench/find-my-way-bench.mjs ROUTES_DIR
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fact, serve, subject } from './serve.mjs';

const require = createRequire(join(process.cwd(), 'tests/oracles/package.json'));
const findMyWay = require('find-my-way');
const [dir] = process.argv.slice(2);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const t0 = process.hrtime.bigint();
const big = findMyWay();
for (let i = 0; i < 10000; i++) {
  const v = i % 7;
  const path = [`/api/v${v}/res${i}`, `/api/v${v}/res${i}/:id`, `/api/v${v}/res${i}/:id/items/:item`, `/api/v${v}/res${i}/:id/files/*`][i % 4];
  big.on(METHODS[Math.floor(i / 4) % 4], path, () => {});
}
fact('route-build', '10k-routes', 'find-my-way-node', 'build_ms', Number(process.hrtime.bigint() - t0) / 1e6);

const routes = JSON.parse(readFileSync(join(dir, 'github.json'), 'utf8'));
const router = findMyWay();
for (const r of routes) router.on(r.method, r.path, () => {});
subject('route-lookup', 'github-all', 'find-my-way-node', () => {
  for (const r of routes) if (!router.find(r.method, r.path)) throw new Error(`no match: ${r.method} ${r.path}`);
}, routes.length);
await serve();
