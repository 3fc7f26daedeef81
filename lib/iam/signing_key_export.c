/* Keys out of the library: new keys, and keys written as JWK (RFC 7517,
 * members per RFC 7518 section 6) or PEM, so that a key set and the tokens it
 * verifies can be made with gatehouse alone. Every key written is first read
 * back as a key set reads it, so a key the verifier would refuse (a short or
 * ROCA-weak RSA modulus) is refused here, not discovered later. */
#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "gatehouse/jwk.h"
#include "gatehouse/jwt.h"
#include "jose.h"
#include "signing_key.h"

#define RSA_BITS_MAX 8192 /* the largest signature gh__pkey_sign writes: 1024 bytes */
#define OCT_BYTES_MAX 1024

int gh_signing_key_generate(gh_signing_key **out, const char *kty, unsigned size) {
  if (!out || !kty) return GH_EINVAL;
  *out = NULL;
  bool rsa = !strcmp(kty, "RSA"), ec = !strcmp(kty, "EC"), oct = !strcmp(kty, "oct");
  if (!rsa && !ec && !oct) return GH_EUNSUPPORTED;
  if (!size) size = rsa ? 2048 : ec ? 256 : 32;
  if (rsa && (size < gh_jwks_default_min_rsa_bits() || size > RSA_BITS_MAX || size % 8)) return GH_EINVAL;
  if (ec && size != 256 && size != 384 && size != 521) return GH_EUNSUPPORTED;
  if (oct && (size < 32 || size > OCT_BYTES_MAX)) return GH_EINVAL; /* RFC 7518 section 3.2: HS256 needs 32 */
  if (oct) {
    unsigned char secret[OCT_BYTES_MAX];
    int rc = gh__random(secret, size);
    if (!rc) rc = gh_signing_key_from_secret(out, secret, size);
    gh__wipe(secret, sizeof secret);
    return rc;
  }
  gh_signing_key *k = gh__calloc(1, sizeof *k);
  if (!k) return GH_ENOMEM;
  int rc = gh__pkey_generate(&k->pkey, rsa ? size : 0, (gh__curve)size);
  if (rc) gh__free(k);
  else *out = k;
  return rc;
}

/* A JWK being written: wiped wherever it moves (gh__buf secret), and the
 * first error met, which later writes leave alone. */
typedef struct text {
  gh__buf b;
  int rc;
} text;

static void fail(text *t, int rc) {
  if (!t->rc) t->rc = rc;
}

static void put_s(text *t, const char *s) { gh__buf_puts(&t->b, s); }

/* ,"name":"value" with value base64url-encoded from bytes. */
static void put_b64(text *t, const char *name, const unsigned char *v, size_t n) {
  put_s(t, ",\"");
  put_s(t, name);
  put_s(t, "\":\"");
  gh__buf_put_b64url(&t->b, v, n);
  put_s(t, "\"");
}

/* ,"name":"value" for a caller's string: JSON-escaped, refused when it holds controls. */
static void put_str(text *t, const char *name, const char *v) {
  if (!v) return;
  put_s(t, ",\"");
  put_s(t, name);
  put_s(t, "\":\"");
  for (const char *c = v; *c; c++) {
    if ((unsigned char)*c < 0x20) fail(t, GH_EINVAL);
    else if (*c == '"' || *c == '\\') gh__buf_put(&t->b, "\\", 1), gh__buf_put(&t->b, c, 1);
    else gh__buf_put(&t->b, c, 1);
  }
  put_s(t, "\"");
}

/* The members of an RSA or EC key, public and optionally private. */
static void put_pkey(text *t, const gh__pkey *pk, bool include_private) {
  static const char *const rsa_private[] = {"d", "p", "q", "dp", "dq", "qi"};
  int curve = gh__pkey_ec_curve(pk);
  put_s(t, curve ? "{\"kty\":\"EC\",\"crv\":\"" : "{\"kty\":\"RSA\"");
  if (curve) put_s(t, curve == GH__P256 ? "P-256\"" : curve == GH__P384 ? "P-384\"" : "P-521\"");
  unsigned char *a, *b;
  size_t a_len, b_len;
  int rc = gh__pkey_public_parts(pk, &a, &a_len, &b, &b_len);
  if (rc) {
    fail(t, rc);
    return;
  }
  put_b64(t, curve ? "x" : "n", a, a_len);
  put_b64(t, curve ? "y" : "e", b, b_len);
  gh__free(a);
  gh__free(b);
  if (!include_private) return;
  unsigned char *parts[GH__PRIVATE_PARTS_MAX];
  size_t lens[GH__PRIVATE_PARTS_MAX], count;
  if ((rc = gh__pkey_private_parts(pk, parts, lens, &count))) {
    fail(t, rc);
    return;
  }
  for (size_t i = 0; i < count; i++) {
    put_b64(t, curve ? "d" : rsa_private[i], parts[i], lens[i]);
    gh__free_secret(parts[i], lens[i]);
  }
}

/* The public half must load as a key set would load it (size, exponent, ROCA, curve point). */
static int check_public(const gh__pkey *pk) {
  text t = {{.secret = false}, GH_OK};
  put_s(&t, "{\"keys\":[");
  put_pkey(&t, pk, false);
  put_s(&t, "}]}");
  int rc = t.rc ? t.rc : gh__buf_finish(&t.b);
  gh_jwks *set = NULL;
  if (!rc) rc = gh_jwks_parse(&set, t.b.p, t.b.len, NULL, 0);
  if (!rc && gh_jwks_count(set) != 1) rc = GH_EKEY; /* skipped as unusable */
  gh_jwks_free(set);
  gh__buf_free(&t.b);
  return rc == GH_EPARSE ? GH_EKEY : rc;
}

/* alg must be one the key can sign with; use is "sig" or "enc" (RFC 7517 section 4.2). */
static int check_labels(const char *kind, const char *alg, const char *use) {
  if (alg) {
    const char *needs = gh_jwt_alg_key_kind(alg);
    if (!needs) return GH_EUNSUPPORTED;
    if (strcmp(needs, kind)) return GH_EKEY;
  }
  if (use && strcmp(use, "sig") && strcmp(use, "enc")) return GH_EINVAL;
  return GH_OK;
}

static int finish(text *t, const char *kid, const char *alg, const char *use, char **out, size_t *out_len) {
  put_str(t, "kid", kid);
  put_str(t, "alg", alg);
  put_str(t, "use", use);
  put_s(t, "}");
  int rc = t->rc ? t->rc : gh__buf_finish(&t->b); /* finish frees on failure */
  if (rc) {
    gh__buf_free(&t->b);
    return rc;
  }
  *out = t->b.p;
  if (out_len) *out_len = t->b.len;
  return GH_OK;
}

int gh_signing_key_jwk(const gh_signing_key *k, int include_private, const char *kid, const char *alg, const char *use,
                       char **out, size_t *out_len) {
  if (!k || !out) return GH_EINVAL;
  *out = NULL;
  int rc = check_labels(gh_signing_key_kind(k), alg, use);
  if (rc) return rc;
  text t = {{.secret = true}, GH_OK};
  if (k->secret) {
    if (!include_private) return GH_EKEY; /* a shared secret has no public half */
    int a = alg ? gh__alg_find(alg, strlen(alg)) : -1; /* an HS* alg: check_labels took it */
    if (a >= 0 && k->secret_len < gh__hash_len(gh__algs[a].hash)) return GH_EKEY; /* RFC 7518 section 3.2 */
    put_s(&t, "{\"kty\":\"oct\"");
    put_b64(&t, "k", k->secret, k->secret_len);
  } else {
    if ((rc = check_public(k->pkey))) return rc;
    put_pkey(&t, k->pkey, include_private);
  }
  return finish(&t, kid, alg, use, out, out_len);
}

int gh_signing_key_pem(const gh_signing_key *k, int include_private, char **out, size_t *out_len) {
  if (!k || !out) return GH_EINVAL;
  *out = NULL;
  if (k->secret) return GH_EUNSUPPORTED;
  size_t len;
  int rc = gh__pkey_pem(k->pkey, include_private != 0, out, &len);
  if (!rc && out_len) *out_len = len;
  return rc;
}

int gh_jwk_from_pem(const char *pem, size_t len, const char *kid, const char *alg, const char *use, char **out,
                    size_t *out_len) {
  if (!pem || !out) return GH_EINVAL;
  *out = NULL;
  gh_signing_key *k = NULL; /* left untouched by a failed load */
  int rc = gh_signing_key_from_pem(&k, pem, len);
  if (rc != GH_EKEY) {
    if (!rc) rc = gh_signing_key_jwk(k, 1, kid, alg, use, out, out_len);
    gh_signing_key_free(k);
    return rc;
  }
  gh__pkey *pk;
  rc = gh__pkey_public_pem(&pk, pem, len);
  if (rc == GH_EKEY) return GH_EPARSE; /* neither a private nor a public key this backend reads */
  if (rc) return rc;
  if (!(rc = check_labels(gh__pkey_kind(pk), alg, use)) && !(rc = check_public(pk))) {
    text t = {{.secret = false}, GH_OK};
    put_pkey(&t, pk, false);
    rc = finish(&t, kid, alg, use, out, out_len);
  }
  gh__pkey_free(pk);
  return rc;
}

void gh_free_secret(char *s) {
  if (s) gh__free_secret(s, strlen(s) + 1);
}
