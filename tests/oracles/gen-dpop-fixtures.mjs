// DPoP proofs (RFC 9449) made by npm jose, valid and broken one way each, for
// tests/vectors/dpop/proofs.json. Each case names the rule it exercises.
import * as jose from 'jose';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'dpop');
mkdirSync(out, { recursive: true });
const NOW = 1700000000;
const HTU = 'https://api.example.com/orders';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'; // the access token the proof binds (ath)
const ath = (t) => createHash('sha256').update(t).digest('base64url');

const cases = [];
const add = (c) => cases.push({ htm: 'GET', htu: HTU, now: NOW, access_token: TOKEN, ...c });

async function proof(alg, claims, header = {}, keyOverride) {
  const { publicKey, privateKey } = keyOverride ?? (await jose.generateKeyPair(alg, { extractable: true }));
  const jwk = await jose.exportJWK(publicKey);
  const token = await new jose.SignJWT({ jti: crypto.randomUUID(), htm: 'GET', htu: HTU, iat: NOW, ath: ath(TOKEN), ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk, ...header })
    .sign(privateKey);
  return { token, jkt: await jose.calculateJwkThumbprint(jwk), keys: { publicKey, privateKey } };
}

for (const alg of ['ES256', 'ES384', 'ES512', 'RS256', 'PS256']) {
  const p = await proof(alg, {});
  add({ name: `${alg} valid`, proof: p.token, jkt: p.jkt, expect: 'OK', rfc: 'RFC 9449 4.3' });
}
const es = await proof('ES256', {});
add({ name: 'replayed jti', proof: es.token, jkt: es.jkt, expect: 'REPLAYED', replay: true, rfc: 'RFC 9449 4.3 step 12, 11.1' });
add({ name: 'wrong htm', proof: (await proof('ES256', { htm: 'POST' })).token, expect: 'BAD_HTM', rfc: 'RFC 9449 4.3 step 8' });
add({ name: 'wrong htu', proof: (await proof('ES256', { htu: 'https://api.example.com/other' })).token, expect: 'BAD_HTU', rfc: 'RFC 9449 4.3 step 9' });
add({ name: 'htu query and fragment ignored, host case and default port normalised', proof: (await proof('ES256', { htu: 'https://API.example.com:443/orders?x=1#f' })).token, expect: 'OK', rfc: 'RFC 9449 4.3 step 9, RFC 3986 6.2' });
add({ name: 'stale iat', proof: (await proof('ES256', { iat: NOW - 301 })).token, expect: 'STALE', rfc: 'RFC 9449 4.3 step 11' });
add({ name: 'iat in the future', proof: (await proof('ES256', { iat: NOW + 60 })).token, expect: 'STALE', rfc: 'RFC 9449 4.3 step 11' });
add({ name: 'wrong ath', proof: (await proof('ES256', { ath: ath('another token') })).token, expect: 'BAD_ATH', rfc: 'RFC 9449 4.3 step 10' });
add({ name: 'missing ath with an access token', proof: (await proof('ES256', { ath: undefined })).token, expect: 'BAD_ATH', rfc: 'RFC 9449 4.3 step 10' });
add({ name: 'missing jti', proof: (await proof('ES256', { jti: undefined })).token, expect: 'MISSING_CLAIM', rfc: 'RFC 9449 4.2' });
add({ name: 'wrong typ', proof: (await proof('ES256', {}, { typ: 'JWT' })).token, expect: 'BAD_TYP', rfc: 'RFC 9449 4.3 step 4' });
{
  // signed by one key, another public key in the header
  const other = await jose.generateKeyPair('ES256', { extractable: true });
  const p = await proof('ES256', {}, { jwk: await jose.exportJWK(other.publicKey) });
  add({ name: 'wrong key in header', proof: p.token, expect: 'BAD_SIGNATURE', rfc: 'RFC 9449 4.3 step 7' });
  // the proof is valid, but the access token is bound to another key (cnf.jkt)
  add({ name: 'jkt of another key', proof: es.token.replace(/^/, ''), jkt: await jose.calculateJwkThumbprint(await jose.exportJWK(other.publicKey)), expect: 'BINDING_MISMATCH', fresh_jti: true, rfc: 'RFC 9449 6.1' });
}
{
  // private key material in the header
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const priv = await jose.exportJWK(privateKey);
  const t = await new jose.SignJWT({ jti: 'p1', htm: 'GET', htu: HTU, iat: NOW, ath: ath(TOKEN) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: priv }).sign(privateKey);
  add({ name: 'private key in header', proof: t, expect: 'BAD_JWK', rfc: 'RFC 9449 4.3 step 6' });
}
{
  // a symmetric algorithm (hand-built: jose refuses HS256 with a jwk header)
  const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
  const t = await new jose.SignJWT({ jti: 's1', htm: 'GET', htu: HTU, iat: NOW, ath: ath(TOKEN) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } }).sign(secret);
  add({ name: 'symmetric alg', proof: t, expect: 'BAD_ALG', rfc: 'RFC 9449 4.3 step 5' });
}
add({ name: 'no jwk header', proof: await new jose.SignJWT({ jti: 'n1', htm: 'GET', htu: HTU, iat: NOW }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256' }).sign((await jose.generateKeyPair('ES256')).privateKey), expect: 'BAD_JWK', rfc: 'RFC 9449 4.2' });

// A DPoP-bound access token (cnf.jkt, RFC 9449 6.1) with a proof for it, and
// a certificate-bound one (cnf.x5t#S256, RFC 8705 3.1), both HS256 under `secret`.
const secret = new TextEncoder().encode('realm-secret-realm-secret-realm!');
const holder = await jose.generateKeyPair('ES256', { extractable: true });
const holderJkt = await jose.calculateJwkThumbprint(await jose.exportJWK(holder.publicKey));
const claims = { sub: 'alice', iss: 'https://id.example.com', exp: NOW + 600, jti: 'tok-1' };
const boundToken = await new jose.SignJWT({ ...claims, cnf: { jkt: holderJkt } }).setProtectedHeader({ alg: 'HS256', kid: 'realm' }).sign(secret);
const boundProof = await new jose.SignJWT({ jti: 'proof-1', htm: 'GET', htu: HTU, iat: NOW, ath: ath(boundToken) })
  .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await jose.exportJWK(holder.publicKey) }).sign(holder.privateKey);
const cert = Buffer.from('a client certificate, DER in real life');
const certSha256 = createHash('sha256').update(cert).digest();
const mtlsToken = await new jose.SignJWT({ ...claims, jti: 'tok-2', cnf: { 'x5t#S256': certSha256.toString('base64url') } }).setProtectedHeader({ alg: 'HS256', kid: 'realm' }).sign(secret);
const bound = { secret_k: Buffer.from(secret).toString('base64url'), dpop_token: boundToken, dpop_proof: boundProof, jkt: holderJkt, htu: HTU, mtls_token: mtlsToken, cert_sha256_hex: certSha256.toString('hex') };

writeFileSync(join(out, 'proofs.json'), JSON.stringify({ generator: 'tests/oracles/gen-dpop-fixtures.mjs (npm jose)', cases, bound }, null, 1) + '\n');
console.log(`wrote ${cases.length} DPoP cases`);
