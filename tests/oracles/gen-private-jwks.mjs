// Generates tests/vectors/jose/private-jwks.json: the private keys of
// tests/vectors/jose/keys/*.pem exported as JWKs by npm's `jose` (an
// independent implementation of RFC 7517/7518), for gh_signing_key_from_jwk,
// and a 1024-bit RSA key that must be refused.
// Run: node tests/oracles/gen-private-jwks.mjs (the output is committed).
import * as jose from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'jose');
const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const keys = {};
for (const alg of ALGS) {
  const pem = readFileSync(join(dir, 'keys', `${alg}.pem`), 'utf8');
  const key = await jose.importPKCS8(pem, alg, { extractable: true });
  keys[alg] = { ...(await jose.exportJWK(key)), kid: `k-${alg}`, alg };
}
// a key the key sets refuse (RSA below 2048 bits): its private JWK must be refused too
// (jose will not make one; node's own crypto will)
const { privateKey: small } = generateKeyPairSync('rsa', { modulusLength: 1024 });
keys['RS256-1024'] = { ...small.export({ format: 'jwk' }), alg: 'RS256' };
const version = JSON.parse(readFileSync(new URL('./node_modules/jose/package.json', import.meta.url))).version;
writeFileSync(join(dir, 'private-jwks.json'), JSON.stringify({ generator: `jose ${version}`, keys }, null, 1) + '\n');
