// The OpenAPI 3.1 export (`gatehouse openapi export`) checked by an
// independent validator (npm `@seriousme/openapi-schema-validator`, the
// OpenAPI Initiative's 3.1 schema): the example configuration's catalog, and
// a configuration that exercises every kind of security scheme, typed and
// catch-all parameters, several methods, optional authentication and an
// imported OpenAPI document. Run by ctest (openapi-export) with the CLI's
// path; prints what is wrong and exits 1.
import { Validator } from '@seriousme/openapi-schema-validator';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = process.argv[2];
const scratch = mkdtempSync(join(tmpdir(), 'gh-openapi-'));
let failures = 0;
const fail = (msg) => { console.error(`FAIL ${msg}`); failures++; };

const wide = {
  gatehouse: 1,
  realms: {
    corp: { providers: [
      { name: 'oidc', type: 'jwt', issuer: 'https://id.example.com', algorithms: ['RS256'], discovery_url: 'https://id.example.com/.well-known/openid-configuration' },
      { name: 'opaque', type: 'introspection', endpoint: 'https://id.example.com/introspect' },
    ] },
    'partner-realm': { api_key_header: 'X-Key', providers: [{ name: 'keys', type: 'api_key', consumer_keys: true }] },
  },
  upstreams: { u: { targets: ['http://10.0.0.1:80'] } },
  limits: { l: { algorithm: 'gcra', limit: 5, period: 1, key: 'consumer|ip' } },
  plans: { gold: { title: 'Gold', limits: { month: { algorithm: 'quota-month', limit: 1000 } } } },
  consumers: { c: { plan: 'gold', subscriptions: [{ api: 'files' }] } },
  apis: [
    { name: 'files', title: 'Files', subscription_required: true, versions: [
      { version: '2024-01', base_path: '/files/2024-01', realm: 'partner-realm', upstream: 'u', limits: ['l'], routes: [
        { methods: ['GET', 'HEAD'], path: '/docs/{id:int}' },
        { method: 'GET', path: '/blobs/{key:uuid}/raw/{rest*}' },
        { method: '*', path: '/any' },
        { method: 'GET', path: '/static/*' },
      ] },
      { version: 'v1', base_path: '/files/v1', realm: 'corp', auth: 'optional', scopes: ['files:read'], upstream: 'u',
        state: 'deprecated', sunset: '2030-01-01T00:00:00Z', openapi: {
          openapi: '3.1.0', info: { title: 'files', version: '1' },
          paths: { '/items/{item}': { get: { operationId: 'getItem', parameters: [{ name: 'item', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } } } },
        } },
    ] },
  ],
};

const exported = (file) => JSON.parse(execFileSync(cli, ['openapi', 'export', '--config', file], { encoding: 'utf8' }));
const wideFile = join(scratch, 'wide.json');
writeFileSync(wideFile, JSON.stringify(wide));
for (const [name, file] of [['examples/gateway/gateway.json', join(root, 'examples/gateway/gateway.json')], ['a configuration of every scheme', wideFile]]) {
  const doc = exported(file);
  const validator = new Validator();
  const res = await validator.validate(doc);
  if (!res.valid || validator.version !== '3.1') fail(`${name}: ${JSON.stringify(res.errors)}`);
  else console.log(`ok   ${name}: ${Object.keys(doc.paths).length} paths, valid OpenAPI ${validator.version}`);
  const ids = new Set();
  for (const item of Object.values(doc.paths)) for (const op of Object.values(item)) {
    if (ids.has(op.operationId)) fail(`${name}: operationId ${op.operationId} twice`);
    ids.add(op.operationId);
  }
}
const doc = exported(wideFile);
const schemes = doc.components.securitySchemes;
const want = { 'corp-oidc': 'openIdConnect', 'corp-bearer': 'http', 'partner-realm-api-key': 'apiKey' };
for (const [k, type] of Object.entries(want)) if (schemes[k]?.type !== type) fail(`scheme ${k} is ${JSON.stringify(schemes[k])}`);
if (!doc.paths['/files/2024-01/docs/{id}']?.head) fail('methods: HEAD missing');
if (!doc.paths['/files/2024-01/blobs/{key}/raw/{rest}']) fail('typed and catch-all parameters not rendered');
if (!doc.paths['/files/2024-01/static/{wildcard}']) fail('a bare * is not rendered');
const item = doc.paths['/files/v1/items/{item}']?.get;
if (!item || !item.deprecated) fail('the imported operation is missing or not deprecated');
else if (JSON.stringify(item.security) !== JSON.stringify([{ 'corp-oidc': ['files:read'] }, { 'corp-bearer': [] }, {}])) fail(`optional auth: ${JSON.stringify(item.security)}`);
if (doc['x-gatehouse-plans']?.[0]?.limits?.[0]?.quota !== true) fail('the plan\'s quota is not shown');
process.exit(failures ? 1 : 0);
