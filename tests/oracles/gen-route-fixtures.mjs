// Route fixtures for the router differential (tests/unit/test_router.c): for each
// go-http-routing-benchmark set, every route is requested filled with random
// parameter values, literally, and mutated (a segment more or fewer, a trailing
// slash, another method), and npm find-my-way (default options) says what matches.
// One documented difference: find-my-way matches an empty last parameter; such
// cases expect no match and keep find-my-way's answer beside it.
import findMyWay from 'find-my-way';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'routes');
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const word = () => { const a = 'abcdefghijklmnopqrstuvwxyz0123456789'; let s = ''; const n = 1 + Math.floor(rand() * 8); for (let i = 0; i < n; i++) s += a[Math.floor(rand() * a.length)]; return s; };
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

for (const set of ['github', 'parse', 'gplus', 'static']) {
  const routes = JSON.parse(readFileSync(join(dir, `${set}.json`), 'utf8'));
  const router = findMyWay();
  const ours = [];
  for (const r of routes) {
    const pattern = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    router.on(r.method, r.path, () => {}, { pattern });
    ours.push({ method: r.method, pattern });
  }
  const requests = [];
  for (const r of routes) {
    const filled = r.path.replace(/:([A-Za-z0-9_]+)/g, () => word());
    requests.push({ method: r.method, path: filled });
    requests.push({ method: r.method, path: r.path });                      // literally, ":name" and all
    requests.push({ method: r.method, path: filled + '/' });                // trailing slash
    requests.push({ method: r.method, path: filled + '/' + word() });       // a segment more
    requests.push({ method: r.method, path: filled.replace(/\/[^/]*$/, '') || '/' }); // a segment fewer
    requests.push({ method: METHODS[Math.floor(rand() * METHODS.length)], path: filled }); // maybe another method
  }
  const cases = requests.map(({ method, path }) => {
    const found = router.find(method, path);
    const match = found ? { pattern: found.store.pattern, params: { ...found.params } } : null;
    // find-my-way lets a parameter at the end of the path be empty ("/people/" matches
    // "/people/:userId"); issue 5 says {name} is exactly one non-empty segment.
    if (match && Object.values(match.params).some((v) => v === ''))
      return { method, path, match: null, find_my_way: match, differs: 'empty parameter' };
    return { method, path, match };
  });
  writeFileSync(join(dir, `${set}.expected.json`), JSON.stringify({ generator: 'find-my-way ' + JSON.parse(readFileSync(new URL('./node_modules/find-my-way/package.json', import.meta.url))).version, routes: ours, cases }, null, 0) + '\n');
  console.log(`${set}: ${routes.length} routes, ${cases.length} cases, ${cases.filter((c) => c.match).length} matched, ${cases.filter((c) => c.differs).length} empty-parameter differences`);
}
