// The gateway configuration's JSON Schema (docs/gateway.schema.json) checked
// by an independent validator (npm `ajv`, JSON Schema 2020-12):
//  - the schema itself compiles in strict mode;
//  - every example configuration validates, and documents gatehouse refuses
//    for their shape are refused by the schema too;
//  - the configuration reference (docs/gateway.md) documents exactly the
//    members the schema defines, so neither can drift from the other.
// With the CLI's path as its argument, gatehouse's own loader (`config lint`)
// must agree with ajv on every document here.
// Run by ctest (config-schema); prints what differs and exits 1.
import Ajv2020 from 'ajv/dist/2020.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p) => readFileSync(join(root, p), 'utf8');
const schema = JSON.parse(read('docs/gateway.schema.json'));
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);
let failures = 0;
const fail = (msg) => { console.error(`FAIL ${msg}`); failures++; };
const cli = process.argv[2];
const scratch = mkdtempSync(join(tmpdir(), 'gh-schema-'));
// gatehouse's verdict on a document: true when `config lint` accepts it
const gatehouseAccepts = (text) => {
  if (!cli) return null;
  const file = join(scratch, 'config.json');
  writeFileSync(file, text);
  try {
    execFileSync(cli, ['config', 'lint', file], { stdio: 'pipe' });
    return true;
  } catch (e) {
    if (e.status !== 1) throw e;
    return false;
  }
};

const examples = ['examples/gateway/gateway.json'];
// the configuration blocks of the reference itself (```json blocks holding "gatehouse": 1)
const reference = read('docs/gateway.md');
const configBlocks = (doc) => [...read(doc).matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => /"gatehouse":\s*1/.test(b));
const blocks = ['docs/gateway.md', 'docs/apim.md'].flatMap((doc) => configBlocks(doc).map((b, i) => [`${doc} block ${i + 1}`, b]));
if (!configBlocks('docs/gateway.md').length) fail('docs/gateway.md shows no configuration in a ```json block');
for (const [name, text] of [...examples.map((p) => [p, read(p)]), ...blocks]) {
  if (validate(JSON.parse(text))) console.log(`ok   ${name} validates`);
  else fail(`${name}: ${ajv.errorsText(validate.errors)}`);
  if (gatehouseAccepts(text) === false) fail(`${name}: gatehouse config lint refuses it`);
}

const refused = {
  'unknown top-level member': { gatehouse: 1, upstreem: {} },
  'wrong format version': { gatehouse: 2 },
  'misspelt route member': { gatehouse: 1, routes: [{ method: 'GET', path: '/a', upstreem: 'u' }] },
  'route without a method': { gatehouse: 1, routes: [{ path: '/a', upstream: 'u' }] },
  'key given as itself': { gatehouse: 1, realms: { r: { providers: [{ name: 'k', type: 'api_key', keys: [{ sha256: 'secret', consumer: 'c' }] }] } } },
  'unknown lifecycle state': { gatehouse: 1, apis: [{ name: 'a', versions: [{ version: 'v1', state: 'live', routes: [] }] }] },
  'plan limit with a key': { gatehouse: 1, plans: { p: { limits: { l: { algorithm: 'gcra', limit: 1, period: 1, key: 'ip' } } } } },
  'unknown subscription state': { gatehouse: 1, consumers: { c: { subscriptions: [{ api: 'a', state: 'paused' }] } } },
  'jwt provider with two key sources': { gatehouse: 1, realms: { r: { providers: [{ name: 'j', type: 'jwt', algorithms: ['ES256'], jwks: { keys: [] }, jwks_url: 'https://x' }] } } },
};
for (const [name, doc] of Object.entries(refused)) {
  if (validate(doc)) fail(`the schema accepts a document gatehouse refuses: ${name}`);
  else console.log(`ok   refused: ${name}`);
  if (gatehouseAccepts(JSON.stringify(doc)) === true) fail(`gatehouse config lint accepts: ${name}`);
}

// every member the schema names, and every member the reference documents (`name` in a table's first column)
const named = new Set();
const walk = (s) => {
  if (!s || typeof s !== 'object') return;
  if (s.properties) for (const k of Object.keys(s.properties)) named.add(k);
  for (const v of Object.values(s)) walk(v);
};
walk(schema);
const documented = new Set([...reference.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]));
for (const k of named) if (!documented.has(k)) fail(`docs/gateway.md does not document "${k}" (a table row "| \`${k}\` | ...")`);
for (const k of documented) if (!named.has(k)) fail(`docs/gateway.md documents "${k}", which the schema does not define`);
console.log(`${named.size} members in the schema, ${documented.size} documented`);
process.exit(failures ? 1 : 0);
