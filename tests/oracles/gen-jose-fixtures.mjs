// Generates tests/vectors/jose/: tokens and key sets made by npm's `jose`
// (an independent JOSE implementation), plus hand-built attack tokens.
// Run: node tests/oracles/gen-jose-fixtures.mjs  (the output is committed;
// tests never need node). Every case names the rule it exercises.
import * as jose from 'jose';
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'jose');
mkdirSync(join(out, 'keys'), { recursive: true });

const NOW = 1700000000; // the tests verify at this instant
const ISS = 'https://issuer.example';
const AUD = 'api://orders';
const b64 = (s) => Buffer.from(s).toString('base64url');
const claims = (extra = {}) => ({ sub: 'alice', iss: ISS, aud: AUD, iat: NOW - 60, nbf: NOW - 60, exp: NOW + 3600, scope: 'orders:read', realm_access: { roles: ['viewer'] }, ...extra });

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const cases = [];
const sets = {};
const add = (c) => cases.push({ now: NOW, iss: ISS, aud: AUD, ...c });

async function keyFor(alg) {
  if (alg.startsWith('HS')) {
    const secret = await jose.generateSecret(alg, { extractable: true });
    const jwk = { ...(await jose.exportJWK(secret)), kid: `k-${alg}`, alg, use: 'sig' };
    return { priv: secret, jwk, privJwk: jwk };
  }
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { modulusLength: 2048, extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `k-${alg}`, alg, use: 'sig' };
  writeFileSync(join(out, 'keys', `${alg}.pem`), await jose.exportPKCS8(privateKey));
  return { priv: privateKey, pub: publicKey, jwk };
}

const sign = (payload, key, header) => new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
// Hand-built HS256 token for headers or payloads jose refuses to produce.
const rawHs = (header, payloadText, secret) => {
  const input = `${b64(JSON.stringify(header))}.${b64(payloadText)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

const keys = {};
for (const alg of ALGS) {
  const k = (keys[alg] = await keyFor(alg));
  const set = alg.startsWith('HS') ? `oct-${alg}` : 'public';
  sets[set] ??= { keys: [] };
  sets[set].keys.push(k.jwk);
  const hdr = { alg, kid: k.jwk.kid, typ: 'JWT' };
  const good = await sign(claims(), k.priv, hdr);
  add({ name: `${alg} valid`, alg, jwks: set, token: good, expect: 'OK', rfc: 'RFC 7515 5.2; RFC 7518 3.1' });
  const [h, p, s] = good.split('.');
  const flip = (t) => t.slice(0, -2) + (t.at(-2) === 'A' ? 'B' : 'A') + t.at(-1);
  add({ name: `${alg} tampered payload`, alg, jwks: set, token: `${h}.${b64(JSON.stringify(claims({ sub: 'mallory' })))}.${s}`, expect: 'BAD_SIGNATURE', rfc: 'RFC 7515 5.2 step 8' });
  add({ name: `${alg} tampered header`, alg, jwks: set, token: `${b64(JSON.stringify({ ...hdr, x: 1 }))}.${p}.${s}`, expect: 'BAD_SIGNATURE', rfc: 'RFC 7515 5.2 step 8' });
  add({ name: `${alg} tampered signature`, alg, jwks: set, token: `${h}.${p}.${flip(s)}`, expect: 'BAD_SIGNATURE', rfc: 'RFC 7515 5.2 step 8' });
  add({ name: `${alg} truncated signature`, alg, jwks: set, token: `${h}.${p}.${Buffer.from(s, 'base64url').subarray(0, -3).toString('base64url')}`, expect: 'BAD_SIGNATURE', rfc: 'RFC 7518 3.4 (exact length)' });
  add({ name: `${alg} expired`, alg, jwks: set, token: await sign(claims({ exp: NOW - 61 }), k.priv, hdr), expect: 'EXPIRED', rfc: 'RFC 7519 4.1.4' });
  add({ name: `${alg} not yet valid`, alg, jwks: set, token: await sign(claims({ nbf: NOW + 61 }), k.priv, hdr), expect: 'NOT_YET_VALID', rfc: 'RFC 7519 4.1.5' });
  add({ name: `${alg} wrong issuer`, alg, jwks: set, token: await sign(claims({ iss: 'https://evil.example' }), k.priv, hdr), expect: 'BAD_ISSUER', rfc: 'RFC 7519 4.1.1' });
  add({ name: `${alg} wrong audience`, alg, jwks: set, token: await sign(claims({ aud: ['api://other'] }), k.priv, hdr), expect: 'BAD_AUDIENCE', rfc: 'RFC 7519 4.1.3' });
  add({ name: `${alg} unknown kid`, alg, jwks: set, token: await sign(claims(), k.priv, { ...hdr, kid: 'nope' }), expect: 'UNKNOWN_KID', rfc: 'RFC 7515 4.1.4' });
}

// Key sets for the attack classes.
const rsa = keys.RS256, ec = keys.ES256, hs = keys.HS256;
const hsSecret = Buffer.from(hs.jwk.k, 'base64url');
const pubJwks = 'public';
const okClaims = JSON.stringify(claims());

// alg "none" (RFC 7518 3.6, RFC 8725 3.2).
add({ name: 'alg none', jwks: pubJwks, token: `${b64('{"alg":"none"}')}.${b64(okClaims)}.`, expect: 'MALFORMED', rfc: 'RFC 8725 3.2' });
add({ name: 'alg none with signature', jwks: pubJwks, token: `${b64('{"alg":"none"}')}.${b64(okClaims)}.${b64('x')}`, expect: 'ALG_NONE', rfc: 'RFC 8725 3.2' });
// HS/RS confusion: HMAC keyed with the RSA public key's PEM (RFC 8725 2.1, 3.1).
const rsaPem = createPublicKey({ key: rsa.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
add({ name: 'HS256 with RSA public key as secret', jwks: pubJwks, token: rawHs({ alg: 'HS256', kid: rsa.jwk.kid }, okClaims, rsaPem), expect: 'NO_MATCHING_KEY', rfc: 'RFC 8725 3.1' });
add({ name: 'HS256 with RSA public key, no kid', jwks: pubJwks, token: rawHs({ alg: 'HS256' }, okClaims, rsaPem), expect: 'NO_MATCHING_KEY', rfc: 'RFC 8725 3.1' });
// Key pinned to RS256, token says PS256 with the same key (RFC 7517 4.4).
const rsaAsPss = await jose.importPKCS8(await jose.exportPKCS8(rsa.priv), 'PS256');
add({ name: 'key alg mismatch', jwks: pubJwks, token: await sign(claims(), rsaAsPss, { alg: 'PS256', kid: rsa.jwk.kid }), expect: 'NO_MATCHING_KEY', rfc: 'RFC 7517 4.4' });
// A key with use "enc" never verifies (RFC 7517 4.2).
{
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  sets['enc-only'] = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'enc', use: 'enc' }, rsa.jwk] };
  add({ name: 'use enc key', jwks: 'enc-only', token: await sign(claims(), privateKey, { alg: 'RS256', kid: 'enc' }), expect: 'UNKNOWN_KID', rfc: 'RFC 7517 4.2' });
}
// ECDSA r = s = 0 ("psychic signatures", CVE-2022-21449).
{
  const [h, p] = (await sign(claims(), ec.priv, { alg: 'ES256', kid: ec.jwk.kid })).split('.');
  add({ name: 'ES256 r=s=0', jwks: pubJwks, token: `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, expect: 'BAD_SIGNATURE', rfc: 'RFC 7518 3.4' });
  // The same signature DER-encoded instead of raw r||s.
  const good = await sign(claims(), ec.priv, { alg: 'ES256', kid: ec.jwk.kid });
  const raw = Buffer.from(good.split('.')[2], 'base64url');
  const int = (b) => { let i = 0; while (i < b.length - 1 && b[i] === 0) i++; b = b.subarray(i); return b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b; };
  const r = int(raw.subarray(0, 32)), s = int(raw.subarray(32));
  const der = Buffer.concat([Buffer.from([0x30, r.length + s.length + 4, 2, r.length]), r, Buffer.from([2, s.length]), s]);
  const [gh, gp] = good.split('.');
  add({ name: 'ES256 DER signature', jwks: pubJwks, token: `${gh}.${gp}.${der.toString('base64url')}`, expect: 'BAD_SIGNATURE', rfc: 'RFC 7518 3.4' });
}
// crit with a name the verifier does not understand (RFC 7515 4.1.11).
add({ name: 'unknown crit', jwks: 'oct-HS256', token: rawHs({ alg: 'HS256', kid: hs.jwk.kid, crit: ['exp-ext'], 'exp-ext': 1 }, okClaims, hsSecret), expect: 'CRIT_UNSUPPORTED', rfc: 'RFC 7515 4.1.11' });
// Malformed base64url: padding and the standard alphabet (RFC 7515 2).
{
  const good = await sign(claims(), hs.priv, { alg: 'HS256', kid: hs.jwk.kid });
  const [h, p, s] = good.split('.');
  add({ name: 'padded signature', jwks: 'oct-HS256', token: `${h}.${p}.${s}=`, expect: 'MALFORMED', rfc: 'RFC 7515 2 (base64url without padding)' });
  add({ name: 'standard base64 alphabet', jwks: 'oct-HS256', token: `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(s) ? '' : '+'}`, expect: 'MALFORMED', rfc: 'RFC 7515 2' });
  add({ name: 'four parts', jwks: 'oct-HS256', token: `${good}.x`, expect: 'MALFORMED', rfc: 'RFC 7515 7.1' });
  add({ name: 'JWE-shaped five parts', jwks: 'oct-HS256', token: `${h}..${p}.${s}.x`, expect: 'MALFORMED', rfc: 'RFC 7516 7.1' });
}
// Duplicate claim names (RFC 7519 4: MUST reject or use the last; gatehouse rejects).
add({ name: 'duplicate claims', jwks: 'oct-HS256', token: rawHs({ alg: 'HS256', kid: hs.jwk.kid }, okClaims.replace('{"sub":"alice"', '{"sub":"alice","sub":"admin"'), hsSecret), expect: 'BAD_PAYLOAD', rfc: 'RFC 7519 4; RFC 8259 4' });
add({ name: 'duplicate header names', jwks: 'oct-HS256', token: rawHs(JSON.parse('{"alg":"HS256"}'), okClaims, hsSecret).replace(/^[^.]+/, b64('{"alg":"HS256","alg":"none"}')), expect: 'MALFORMED', rfc: 'RFC 7515 4 (duplicate header names)' });
// Oversized token (default limit 16 KiB).
add({ name: 'oversized token', jwks: 'oct-HS256', token: await sign(claims({ pad: 'x'.repeat(20000) }), hs.priv, { alg: 'HS256', kid: hs.jwk.kid }), expect: 'TOO_LARGE', rfc: 'RFC 8725 3.x (bounded input)' });
// Attacker-supplied key in the header is ignored (RFC 8725 3.10).
{
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  add({ name: 'embedded jwk header', jwks: pubJwks, token: await sign(claims(), privateKey, { alg: 'ES256', jwk: await jose.exportJWK(publicKey) }), expect: 'BAD_SIGNATURE', rfc: 'RFC 8725 3.10' });
}
// Registered claims with the wrong type (RFC 7519 4.1).
add({ name: 'exp as string', jwks: 'oct-HS256', token: await sign(claims({ exp: String(NOW + 3600) }), hs.priv, { alg: 'HS256', kid: hs.jwk.kid }), expect: 'BAD_CLAIM', rfc: 'RFC 7519 4.1.4 (NumericDate)' });
add({ name: 'missing exp', jwks: 'oct-HS256', token: await sign({ sub: 'alice', iss: ISS, aud: AUD }, hs.priv, { alg: 'HS256', kid: hs.jwk.kid }), expect: 'MISSING_CLAIM', rfc: 'RFC 8725 3.x (exp required by default)' });
add({ name: 'payload not an object', jwks: 'oct-HS256', token: rawHs({ alg: 'HS256', kid: hs.jwk.kid }, '"alice"', hsSecret), expect: 'BAD_PAYLOAD', rfc: 'RFC 7519 7.2 step 10' });
add({ name: 'audience in array', jwks: 'oct-HS256', token: await sign(claims({ aud: ['api://x', AUD] }), hs.priv, { alg: 'HS256', kid: hs.jwk.kid }), expect: 'OK', rfc: 'RFC 7519 4.1.3' });
add({ name: 'exp within leeway', jwks: 'oct-HS256', token: await sign(claims({ exp: NOW - 59 }), hs.priv, { alg: 'HS256', kid: hs.jwk.kid }), expect: 'OK', rfc: 'RFC 7519 4.1.4 (leeway)' });

// An RSA-PSS token from node's own crypto (a second independent signer).
{
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pubJwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: 'node-ps', alg: 'PS256' };
  sets['node-ps'] = { keys: [pubJwk] };
  add({ name: 'PS256 from node:crypto', jwks: 'node-ps', token: await sign(claims(), privateKey, { alg: 'PS256', kid: 'node-ps' }), expect: 'OK', rfc: 'RFC 7518 3.5' });
}

writeFileSync(join(out, 'jwks.json'), JSON.stringify(sets, null, 1) + '\n');
writeFileSync(join(out, 'tokens.json'), JSON.stringify({ generator: `jose ${JSON.parse((await import('node:fs')).readFileSync(new URL('./node_modules/jose/package.json', import.meta.url))).version}`, cases }, null, 1) + '\n');
writeFileSync(join(out, 'oct-HS256.jwk.json'), JSON.stringify(hs.jwk) + '\n');
console.log(`wrote ${cases.length} cases, ${Object.keys(sets).length} key sets to ${out}`);
