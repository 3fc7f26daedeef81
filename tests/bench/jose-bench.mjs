// jwt-verify peer: npm jose (jwtVerify with a local JWK Set) on the same
// tokens and keys as bench_jwt, one core. Prints JSON lines like the C bench.
// Usage: node tests/bench/jose-bench.mjs VECTORS_DIR [SECONDS]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'tests/oracles/package.json'));
const jose = await import(require.resolve('jose'));
const [vectors = 'tests/vectors', seconds = '0.5'] = process.argv.slice(2);
const sets = JSON.parse(readFileSync(join(vectors, 'jose/jwks.json'), 'utf8'));
const payload = { sub: 'alice', iss: 'https://issuer.example', aud: 'api://orders', iat: 1699999940, exp: 1700003600, scope: 'orders:read orders:write', realm_access: { roles: ['viewer'] } };
const currentDate = new Date(1700000000 * 1000);
const secret = new TextEncoder().encode('bench-secret-bench-secret-bench-secret!!');

async function rate(fn) {
  let best = 0;
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < Number(seconds)) {
      for (let i = 0; i < 200; i++) await fn();
      n += 200;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    best = Math.max(best, n / elapsed);
  }
  return best;
}

for (const alg of ['HS256', 'RS256', 'PS256', 'ES256']) {
  let key, verifyKey;
  if (alg === 'HS256') {
    key = verifyKey = secret;
  } else {
    key = await jose.importPKCS8(readFileSync(join(vectors, `jose/keys/${alg}.pem`), 'utf8'), alg);
    verifyKey = jose.createLocalJWKSet(sets.public);
  }
  const token = await new jose.SignJWT(payload).setProtectedHeader({ alg, kid: `k-${alg}` }).sign(key);
  const verify = () => jose.jwtVerify(token, verifyKey, { currentDate, algorithms: [alg] });
  await verify();
  const value = await rate(verify);
  console.log(JSON.stringify({ bench: 'jwt-verify', case: alg, subject: 'jose-node', metric: 'ops_per_s', value: Math.round(value * 10) / 10 }));
}
