/* Private RSA and EC JWKs (RFC 7518 sections 6.3.2 and 6.2.2) as signing
 * keys: the members become the DER the crypto backend loads, and the key is
 * then checked against its own public half, read as a key set would read it
 * (so a private key whose "d" does not belong to its "n" or "x"/"y" is
 * refused rather than signing tokens nobody can verify). */
#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "../core/json.h"
#include "../crypto/der.h"
#include "jose.h"
#include "signing_jwk.h"

#define MAX_MEMBERS 8
#define DER_MAX 8192

typedef struct members {
  unsigned char *v[MAX_MEMBERS];
  size_t len[MAX_MEMBERS];
  size_t n;
} members;

static void members_free(members *m) {
  for (size_t i = 0; i < m->n; i++) gh__free_secret(m->v[i], m->len[i]);
}

/* Decodes the named members in order; GH_EKEY when one is missing or empty. */
static int decode(const cJSON *jwk, const char *const *names, size_t count, members *m) {
  m->n = 0;
  for (size_t i = 0; i < count; i++) {
    const char *s;
    if (gh__json_string(jwk, names[i], &s) || !s) return GH_EKEY;
    int rc = gh__b64url_decode_alloc(s, strlen(s), &m->v[m->n], &m->len[m->n]);
    if (rc) return rc == GH_ENOMEM ? GH_ENOMEM : GH_EKEY;
    if (!m->len[m->n++]) return GH_EKEY;
  }
  return GH_OK;
}

/* The public half as a one-key set ({"keys":[{kty, and the public members}]}),
 * with the set's checks: RSA size, exponent and ROCA; EC point on the curve. */
static int public_half(const cJSON *jwk, const char *kty, const char *const *names, size_t count, gh_jwks **out) {
  cJSON *set = cJSON_CreateObject(), *keys = set ? cJSON_AddArrayToObject(set, "keys") : NULL;
  cJSON *pub = keys ? cJSON_CreateObject() : NULL;
  if (pub && !cJSON_AddItemToArray(keys, pub)) cJSON_Delete(pub), pub = NULL;
  int rc = pub ? GH_OK : GH_ENOMEM; /* from here the set owns everything */
  if (!rc && !cJSON_AddStringToObject(pub, "kty", kty)) rc = GH_ENOMEM;
  for (size_t i = 0; !rc && i < count; i++) {
    const char *s;
    if (gh__json_string(jwk, names[i], &s) || !s) rc = GH_EKEY;
    else if (!cJSON_AddStringToObject(pub, names[i], s)) rc = GH_ENOMEM;
  }
  char *text = rc ? NULL : cJSON_PrintUnformatted(set);
  if (!rc && !text) rc = GH_ENOMEM;
  cJSON_Delete(set);
  if (rc) return rc;
  rc = gh_jwks_parse(out, text, strlen(text), NULL, 0);
  cJSON_free(text);
  if (!rc && (*out)->count != 1) { /* skipped: not a usable public key */
    gh_jwks_free(*out);
    *out = NULL;
    rc = GH_EKEY;
  }
  return rc == GH_EPARSE ? GH_EKEY : rc;
}

/* Signs a fixed digest with the private key and verifies it with the public one. */
static int same_pair(const gh__pkey *private_key, const gh__pkey *public_key, gh__sig_scheme scheme) {
  static const char probe[] = "gatehouse: does this private key belong to its public half?";
  unsigned char digest[32], sig[1024];
  size_t sig_len = sizeof sig;
  gh__hash_digest(GH__SHA256, probe, sizeof probe - 1, digest);
  int rc = gh__pkey_sign(private_key, scheme, GH__SHA256, digest, sig, &sig_len);
  if (!rc) rc = gh__pkey_verify(public_key, scheme, GH__SHA256, digest, sig, sig_len);
  /* mbedTLS checks its own RSA result and fails to sign with a mismatched key */
  return rc && rc != GH_ENOMEM ? GH_EKEY : rc;
}

int gh__signing_pkey_from_jwk(const cJSON *jwk, const char *kty, gh__pkey **out) {
  *out = NULL;
  static const char *const rsa[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"}, *const ec[] = {"x", "y", "d"},
                           *const ec_public[] = {"crv", "x", "y"};
  bool is_rsa = !strcmp(kty, "RSA");
  if (!is_rsa && strcmp(kty, "EC")) return GH_EUNSUPPORTED;
  if (is_rsa && gh__json_member(jwk, "oth")) return GH_EUNSUPPORTED; /* more than two primes */
  if (!gh__json_member(jwk, "d")) return GH_EKEY;                     /* a public key */
  members m = {{NULL}, {0}, 0};
  unsigned char *der = gh__malloc(DER_MAX);
  size_t der_len = 0;
  int rc = der ? GH_OK : GH_ENOMEM;
  gh__sig_scheme scheme = is_rsa ? GH__SIG_PKCS1 : GH__SIG_ECDSA;
  if (!rc && is_rsa) {
    /* RFC 7518 section 6.3.2: p, q, dp, dq, qi SHOULD be present; the DER needs them */
    rc = decode(jwk, rsa, 8, &m);
    gh__der_uint v[8];
    for (size_t i = 0; !rc && i < 8; i++) v[i] = (gh__der_uint){m.v[i], m.len[i]};
    if (!rc && !(der_len = gh__der_rsa_private(v, der, DER_MAX))) rc = GH_EKEY;
  } else if (!rc) {
    const char *crv;
    gh__curve c = 0;
    if (!gh__json_string(jwk, "crv", &crv) && crv)
      c = !strcmp(crv, "P-256") ? GH__P256 : !strcmp(crv, "P-384") ? GH__P384 : !strcmp(crv, "P-521") ? GH__P521 : 0;
    rc = c ? decode(jwk, ec, 3, &m) : GH_EUNSUPPORTED;
    size_t coord = c ? gh__curve_len(c) : 0;
    /* RFC 7518 sections 6.2.1.2, 6.2.1.3 and 6.2.2.1: each exactly the field size */
    if (!rc && (m.len[0] != coord || m.len[1] != coord || m.len[2] != coord)) rc = GH_EKEY;
    if (!rc && !(der_len = gh__der_ec_private((int)c, m.v[2], m.v[0], m.v[1], coord, der, DER_MAX))) rc = GH_EKEY;
  }
  members_free(&m);
  if (!rc) rc = gh__pkey_private_der(out, der, der_len);
  if (der) gh__free_secret(der, DER_MAX);
  gh_jwks *pub = NULL;
  if (!rc) rc = public_half(jwk, kty, is_rsa ? rsa : ec_public, is_rsa ? 2 : 3, &pub);
  if (!rc) rc = same_pair(*out, pub->keys[0].pkey, scheme);
  if (pub) gh_jwks_free(pub);
  if (rc && *out) {
    gh__pkey_free(*out);
    *out = NULL;
  }
  return rc;
}
