// jwt-verify peer: npm jose's jwtVerify on a pool of distinct tokens signed
// like bench_jwt's (subjects and expiry differ), issuer and audience checked,
// with keys imported once (a raw secret would be imported again on every
// call: half jose's real speed). Served as tests/bench/serve.mjs says.
// Usage: node tests/bench/jose-bench.mjs VECTORS_DIR
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, subject } from './serve.mjs';

const require = createRequire(join(process.cwd(), 'tests/oracles/package.json'));
const jose = await import(require.resolve('jose'));
const [vectors = 'tests/vectors'] = process.argv.slice(2);
const sets = JSON.parse(readFileSync(join(vectors, 'jose/jwks.json'), 'utf8'));
const currentDate = new Date(1700000000 * 1000);
const secret = new TextEncoder().encode('bench-secret-bench-secret-bench-secret!!');
const options = { currentDate, issuer: 'https://issuer.example', audience: 'api://orders' };
const POOL = 64;

for (const alg of ['HS256', 'RS256', 'PS256', 'ES256']) {
  let signKey, verifyKey;
  if (alg === 'HS256') {
    signKey = verifyKey = await jose.importJWK({ kty: 'oct', k: Buffer.from(secret).toString('base64url') }, alg);
  } else {
    signKey = await jose.importPKCS8(readFileSync(join(vectors, `jose/keys/${alg}.pem`), 'utf8'), alg);
    verifyKey = jose.createLocalJWKSet(sets.public); // imports each key once, on first use
  }
  const tokens = [];
  for (let i = 0; i < POOL; i++) {
    const claims = { sub: `user-${i}`, iss: options.issuer, aud: options.audience, iat: 1699999940, exp: 1700003600 + i,
      scope: 'orders:read orders:write', realm_access: { roles: ['viewer'] } };
    tokens.push(await new jose.SignJWT(claims).setProtectedHeader({ alg, kid: alg === 'HS256' ? 'b' : `k-${alg}` }).sign(signKey));
  }
  let next = 0;
  subject('jwt-verify', alg, 'jose-node', () => jose.jwtVerify(tokens[next++ % POOL], verifyKey, { ...options, algorithms: [alg] }));
}
await serve();
