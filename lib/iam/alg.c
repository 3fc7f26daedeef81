/* The JWS algorithm table (RFC 7518 section 3.1). "none" is deliberately absent. */
#include <string.h>

#include "gatehouse/error.h"
#include "jose.h"

const gh__alg gh__algs[GH__ALG_COUNT] = {
    {"HS256", GH__KTY_OCT, GH__SIG_PKCS1, GH__SHA256, 0},      {"HS384", GH__KTY_OCT, GH__SIG_PKCS1, GH__SHA384, 0},
    {"HS512", GH__KTY_OCT, GH__SIG_PKCS1, GH__SHA512, 0},      {"RS256", GH__KTY_RSA, GH__SIG_PKCS1, GH__SHA256, 0},
    {"RS384", GH__KTY_RSA, GH__SIG_PKCS1, GH__SHA384, 0},      {"RS512", GH__KTY_RSA, GH__SIG_PKCS1, GH__SHA512, 0},
    {"PS256", GH__KTY_RSA, GH__SIG_PSS, GH__SHA256, 0},        {"PS384", GH__KTY_RSA, GH__SIG_PSS, GH__SHA384, 0},
    {"PS512", GH__KTY_RSA, GH__SIG_PSS, GH__SHA512, 0},        {"ES256", GH__KTY_EC, GH__SIG_ECDSA, GH__SHA256, GH__P256},
    {"ES384", GH__KTY_EC, GH__SIG_ECDSA, GH__SHA384, GH__P384}, {"ES512", GH__KTY_EC, GH__SIG_ECDSA, GH__SHA512, GH__P521},
};

int gh__alg_find(const char *name, size_t len) {
  if (len != 5) return -1;
  for (int i = 0; i < GH__ALG_COUNT; i++)
    if (memcmp(gh__algs[i].name, name, 5) == 0) return i;
  return -1;
}

int gh__alg_allow(unsigned *mask, bool *custom, const char *alg, unsigned permitted) {
  int a = alg ? gh__alg_find(alg, strlen(alg)) : -1;
  if (a < 0 || !(permitted & (1u << a))) return GH_EUNSUPPORTED;
  if (!*custom) *mask = 0;
  *custom = true;
  *mask |= 1u << a;
  return GH_OK;
}

bool gh__jwk_fits(const gh__jwk *k, int alg) {
  const gh__alg *a = &gh__algs[alg];
  if (k->kty != a->kty || (k->alg >= 0 && k->alg != alg)) return false;
  if (a->kty == GH__KTY_EC) return gh__pkey_ec_curve(k->pkey) == (int)a->curve;
  /* RFC 7518 section 3.2: an HMAC key at least as long as the hash output. */
  if (a->kty == GH__KTY_OCT) return k->secret_len >= gh__hash_len(a->hash);
  return true;
}
