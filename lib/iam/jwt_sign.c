/* Compact JWS signing, for tests, demos and the CLI. Verification never
 * depends on this file. */
#include <stdio.h>
#include <string.h>

#include "../core/base64url.h"
#include "../core/core.h"
#include "../core/json.h"
#include "gatehouse/jwt.h"
#include "jose.h"
#include "signing_jwk.h"
#include "signing_key.h"

void gh_free(void *p) { gh__free(p); }

const char *gh_signing_key_kind(const gh_signing_key *k) {
  if (!k) return NULL;
  return k->secret ? "oct" : gh__pkey_kind(k->pkey);
}

const char *gh__pkey_kind(const gh__pkey *pkey) {
  switch (gh__pkey_ec_curve(pkey)) {
  case GH__P256: return "EC P-256";
  case GH__P384: return "EC P-384";
  case GH__P521: return "EC P-521";
  default: return gh__pkey_rsa_bits(pkey) ? "RSA" : "unknown";
  }
}

const char *gh_jwt_alg_key_kind(const char *alg) {
  int a = alg ? gh__alg_find(alg, strlen(alg)) : -1;
  if (a < 0) return NULL;
  const gh__alg *info = &gh__algs[a];
  if (info->kty == GH__KTY_OCT) return "oct";
  if (info->kty == GH__KTY_RSA) return "RSA";
  return info->curve == GH__P256 ? "EC P-256" : info->curve == GH__P384 ? "EC P-384" : "EC P-521";
}

int gh_signing_key_from_pem(gh_signing_key **out, const char *pem, size_t len) {
  if (!out || !pem) return GH_EINVAL;
  gh_signing_key *k = gh__calloc(1, sizeof *k);
  if (!k) return GH_ENOMEM;
  int rc = gh__pkey_private_pem(&k->pkey, pem, len);
  if (rc) {
    gh__free(k);
    return rc;
  }
  *out = k;
  return GH_OK;
}

int gh_signing_key_from_secret(gh_signing_key **out, const unsigned char *secret, size_t len) {
  if (!out || !secret || !len) return GH_EINVAL;
  gh_signing_key *k = gh__calloc(1, sizeof *k);
  if (!k || !(k->secret = gh__malloc(len))) {
    gh__free(k);
    return GH_ENOMEM;
  }
  memcpy(k->secret, secret, len);
  k->secret_len = len;
  *out = k;
  return GH_OK;
}

int gh_signing_key_from_jwk(gh_signing_key **out, const char *jwk_json, size_t len) {
  if (!out || !jwk_json) return GH_EINVAL;
  cJSON *jwk;
  int rc = gh__json_parse(jwk_json, len, 64 * 1024, 8, &jwk, NULL, 0);
  if (rc) return rc;
  const char *kty = NULL, *k = NULL;
  if (gh__json_string(jwk, "kty", &kty) || !kty) {
    rc = GH_EPARSE;
  } else if (strcmp(kty, "oct") != 0) {
    gh_signing_key *key = gh__calloc(1, sizeof *key);
    rc = key ? gh__signing_pkey_from_jwk(jwk, kty, &key->pkey) : GH_ENOMEM;
    if (rc) gh__free(key);
    else *out = key;
    cJSON_Delete(jwk);
    return rc;
  } else if (gh__json_string(jwk, "k", &k) || !k) {
    rc = GH_EPARSE;
  }
  unsigned char *secret = NULL;
  size_t secret_len = 0;
  if (!rc) rc = gh__b64url_decode_alloc(k, strlen(k), &secret, &secret_len);
  if (!rc) rc = gh_signing_key_from_secret(out, secret, secret_len);
  if (secret) gh__free_secret(secret, secret_len);
  cJSON_Delete(jwk);
  return rc;
}

void gh_signing_key_free(gh_signing_key *k) {
  if (!k) return;
  gh__pkey_free(k->pkey);
  if (k->secret) gh__free_secret(k->secret, k->secret_len);
  gh__free(k);
}

int gh_jwt_sign(const gh_signing_key *k, const char *alg, const char *kid, const char *payload_json, size_t len,
                char **out, size_t *out_len) {
  if (!k || !alg || !out || (!payload_json && len)) return GH_EINVAL;
  *out = NULL;
  int a = gh__alg_find(alg, strlen(alg));
  if (a < 0) return GH_EUNSUPPORTED;
  const gh__alg *info = &gh__algs[a];
  if ((info->kty == GH__KTY_OCT) != (k->secret != NULL)) return GH_EKEY;
  /* RFC 7518 §3.2: a key of the same size as the hash output or larger */
  if (info->kty == GH__KTY_OCT && k->secret_len < gh__hash_len(info->hash)) return GH_EKEY;
  if (info->kty == GH__KTY_EC && gh__pkey_ec_curve(k->pkey) != (int)info->curve) return GH_EKEY;
  if (info->kty == GH__KTY_RSA && !gh__pkey_rsa_bits(k->pkey)) return GH_EKEY;
  cJSON *payload;
  int rc = gh__json_parse(payload_json, len, 1024 * 1024, GH_JSON_DEFAULT_MAX_DEPTH, &payload, NULL, 0);
  if (rc) return rc;
  bool object = cJSON_IsObject(payload);
  cJSON_Delete(payload);
  if (!object) return GH_EPARSE;

  cJSON *header = cJSON_CreateObject();
  if (!header || !cJSON_AddStringToObject(header, "alg", alg) || !cJSON_AddStringToObject(header, "typ", "JWT") ||
      (kid && !cJSON_AddStringToObject(header, "kid", kid))) {
    cJSON_Delete(header);
    return GH_ENOMEM;
  }
  char *h = cJSON_PrintUnformatted(header);
  cJSON_Delete(header);
  if (!h) return GH_ENOMEM;
  gh__buf b = {0};
  gh__buf_put_b64url(&b, (const unsigned char *)h, strlen(h));
  cJSON_free(h);
  gh__buf_put(&b, ".", 1);
  gh__buf_put_b64url(&b, (const unsigned char *)payload_json, len);
  if (b.failed) {
    gh__buf_free(&b);
    return GH_ENOMEM;
  }
  unsigned char sig[1024], digest[GH__HASH_MAX];
  size_t sig_len = sizeof sig;
  if (info->kty == GH__KTY_OCT) {
    gh__hmac_key hk;
    gh__hmac_key_init(&hk, info->hash, k->secret, k->secret_len);
    gh__hmac_compute(&hk, b.p, b.len, sig);
    gh__hmac_key_wipe(&hk);
    sig_len = gh__hash_len(info->hash);
  } else {
    gh__hash_digest(info->hash, b.p, b.len, digest);
    rc = gh__pkey_sign(k->pkey, info->scheme, info->hash, digest, sig, &sig_len);
    if (rc) {
      gh__buf_free(&b);
      return rc;
    }
  }
  gh__buf_put(&b, ".", 1);
  gh__buf_put_b64url(&b, sig, sig_len);
  rc = gh__buf_finish(&b);
  if (rc) return rc;
  *out = b.p;
  if (out_len) *out_len = b.len;
  return GH_OK;
}
