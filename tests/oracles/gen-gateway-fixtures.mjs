// Generates tests/vectors/gateway/tokens.json: tokens made by npm's `jose`
// for the example gateway configuration (examples/gateway/gateway.json),
// signed with the published demo key it trusts (examples/tokens), plus
// tokens it must refuse. Run: node tests/oracles/gen-gateway-fixtures.mjs
// (the output is committed; tests never need node).
import * as jose from 'jose';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'tests', 'vectors', 'gateway');
mkdirSync(out, { recursive: true });

const NOW = 1800000000; // the tests decide at this instant (2027-01-15)
const ISS = 'https://id.example.com';
const AUD = 'api://orders';
const demo = JSON.parse(readFileSync(join(root, 'examples', 'tokens', 'demo-signing-key.jwk.json'), 'utf8'));
const key = await jose.importJWK(demo, 'ES256');
const other = (await jose.generateKeyPair('ES256', { extractable: true })).privateKey;

const claims = (extra = {}) => ({ iss: ISS, aud: AUD, iat: NOW - 60, exp: NOW + 3600, ...extra });
const sign = (payload, k = key, kid = demo.kid) =>
  new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid }).sign(k);

const tokens = {
  now: NOW,
  // who: the roles the policy "orders" knows (viewer < editor < admin)
  viewer: await sign(claims({ sub: 'alice', roles: ['viewer'] })),
  editor: await sign(claims({ sub: 'bob', roles: ['editor'] })),
  admin: await sign(claims({ sub: 'carol', roles: ['admin'] })),
  no_roles: await sign(claims({ sub: 'dave' })),
  // refusals (RFC 7519 §4.1.4 exp, §4.1.3 aud, §4.1.1 iss; RFC 7515 §5.2 signature)
  expired: await sign(claims({ sub: 'alice', roles: ['viewer'], iat: NOW - 7200, exp: NOW - 3600 })),
  wrong_audience: await sign(claims({ sub: 'alice', roles: ['viewer'], aud: 'api://elsewhere' })),
  wrong_issuer: await sign(claims({ sub: 'alice', roles: ['viewer'], iss: 'https://evil.example' })),
  foreign_key: await sign(claims({ sub: 'alice', roles: ['viewer'] }), other),
};
writeFileSync(join(out, 'tokens.json'), JSON.stringify(tokens, null, 2) + '\n');
console.log(`wrote ${Object.keys(tokens).length - 1} tokens to ${out}/tokens.json`);
