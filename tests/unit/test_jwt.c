/* The JWT verifier: every case of tests/vectors/jose (tokens made by npm jose
 * and hand-built attacks, each citing its rule), then the verifier's own API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"
#include "core/expiring_map.h"
#include "iam/principal.h"

#define NOW_MS 1700000000000LL
#define ISS "https://issuer.example"
#define AUD "api://orders"

static gh_jwks *set_from(const cJSON *sets, const char *name) {
  char *json = cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, name));
  gh_jwks *set;
  char msg[128];
  int rc = gh_jwks_parse(&set, json, strlen(json), msg, sizeof msg);
  free(json);
  if (rc) fail_msg("key set %s: %s", name, msg);
  return set;
}

static gh_jwt_verifier *standard_verifier(gh_jwks *set) {
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_add_issuer(v, ISS, strlen(ISS)), GH_OK);
  assert_int_equal(gh_jwt_verifier_add_audience(v, AUD, strlen(AUD)), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  if (set) assert_int_equal(gh_jwt_verifier_set_jwks(v, set, NOW_MS), GH_OK);
  return v;
}

static void test_jose_fixtures(void **state) {
  (void)state;
  cJSON *tokens = t_load_json("jose/tokens.json"), *sets = t_load_json("jose/jwks.json"), *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(tokens, "cases")) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    const char *expect = cJSON_GetObjectItem(c, "expect")->valuestring;
    const char *rfc = cJSON_GetObjectItem(c, "rfc")->valuestring;
    const char *token = cJSON_GetObjectItem(c, "token")->valuestring;
    gh_jwks *set = set_from(sets, cJSON_GetObjectItem(c, "jwks")->valuestring);
    gh_jwt_verifier *v = standard_verifier(set);
    int64_t now = (int64_t)cJSON_GetObjectItem(c, "now")->valuedouble * 1000;
    gh_principal *p = NULL;
    int reason = -1;
    char msg[256] = "";
    int rc = gh_jwt_verify(v, token, strlen(token), now, &p, &reason, msg, sizeof msg);
    if (strcmp(gh_jwt_reason_name(reason), expect) != 0)
      fail_msg("%s (%s): expected %s, got %s (%s)", name, rfc, expect, gh_jwt_reason_name(reason), msg);
    assert_int_equal(rc, strcmp(expect, "OK") == 0 ? GH_OK : GH_EDENIED);
    if (rc == GH_OK) {
      assert_string_equal(gh_principal_subject(p), "alice");
      assert_string_equal(gh_principal_issuer(p), ISS);
    } else {
      assert_null(p);
      assert_true(msg[0] != '\0');
    }
    gh_principal_free(p);
    gh_jwt_verifier_free(v);
    gh_jwks_free(set);
    n++;
  }
  assert_true(n >= 140);
  cJSON_Delete(tokens);
  cJSON_Delete(sets);
}

/* A token signed by the library itself, for API tests. */
static char *hs256_token(const char *payload) {
  size_t len;
  char *jwk = t_read_vector("jose/oct-HS256.jwk.json", &len);
  gh_signing_key *k;
  assert_int_equal(gh_signing_key_from_jwk(&k, jwk, len), GH_OK);
  free(jwk);
  char *token;
  assert_int_equal(gh_jwt_sign(k, "HS256", "k-HS256", payload, strlen(payload), &token, &len), GH_OK);
  gh_signing_key_free(k);
  return token;
}

static gh_jwks *hs256_set(void) {
  cJSON *sets = t_load_json("jose/jwks.json");
  gh_jwks *s = set_from(sets, "oct-HS256");
  cJSON_Delete(sets);
  return s;
}

static int verify_reason(const gh_jwt_verifier *v, const char *token, int64_t now) {
  int reason = -1;
  gh_jwt_verify(v, token, strlen(token), now, NULL, &reason, NULL, 0);
  return reason;
}

static void test_configuration_rules(void **state) {
  (void)state;
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_allow_alg(v, "none"), GH_EUNSUPPORTED);
  assert_int_equal(gh_jwt_verifier_allow_alg(v, "EdDSA"), GH_EUNSUPPORTED);
  assert_int_equal(gh_jwt_verifier_set_leeway(v, -1), GH_EINVAL);
  assert_int_equal(gh_jwt_verifier_set_max_token_len(v, 10), GH_EINVAL);
  assert_int_equal(gh_jwt_verifier_set_required_claims(v, 0x100), GH_EINVAL);
  /* verifying before build is misuse, not a crash */
  assert_int_equal(gh_jwt_verify(v, "a.b.c", 5, 0, NULL, NULL, NULL, 0), GH_EMISUSE);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  assert_int_equal(gh_jwt_verifier_add_issuer(v, "x", 1), GH_EMISUSE); /* frozen */
  assert_int_equal(gh_jwt_verifier_build(v), GH_EMISUSE);
  int reason;
  assert_int_equal(gh_jwt_verify(v, "a.b.c", 5, 0, NULL, &reason, NULL, 0), GH_EDENIED);
  assert_int_equal(reason, GH_JWT_MALFORMED); /* "a" is not a header */
  gh_jwt_verifier_free(v);
  gh_jwt_verifier_free(NULL);
  assert_int_equal(gh_jwt_verify(NULL, "x", 1, 0, NULL, NULL, NULL, 0), GH_EMISUSE);
  assert_string_equal(gh_jwt_reason_name(GH_JWT_EXPIRED), "EXPIRED");
  assert_string_equal(gh_jwt_reason_name(9999), "UNKNOWN");
}

/* The allow-list (RFC 8725 3.1): the first allow_alg replaces the default. */
static void test_alg_allow_list(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  char *token = hs256_token("{\"sub\":\"a\",\"exp\":1700000100}");
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_allow_alg(v, "ES256"), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  assert_int_equal(verify_reason(v, token, NOW_MS), GH_JWT_ALG_NOT_ALLOWED);
  gh_jwt_verifier_free(v);
  gh_free(token);
  gh_jwks_free(set);
}

static void test_typ_and_lifetime(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  char *token = hs256_token("{\"sub\":\"a\",\"iat\":1700000000,\"exp\":1700007200}");
  gh_jwt_verifier *v;
  /* RFC 9068 access tokens: typ at+jwt (the signer wrote "JWT") */
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_typ(v, "application/at+jwt"), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  assert_int_equal(verify_reason(v, token, NOW_MS), GH_JWT_BAD_TYP);
  gh_jwt_verifier_free(v);
  /* typ compares case-insensitively, "application/" optional (RFC 7515 4.1.9) */
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_typ(v, "jwt"), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_max_lifetime(v, 3600), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  assert_int_equal(verify_reason(v, token, NOW_MS), GH_JWT_LIFETIME_TOO_LONG); /* 2 h > 1 h */
  gh_jwt_verifier_free(v);
  gh_free(token);
  gh_jwks_free(set);
}

static void test_required_claims_and_leeway(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  char *no_exp = hs256_token("{\"sub\":\"a\"}");
  char *future_iat = hs256_token("{\"sub\":\"a\",\"iat\":1700000120,\"exp\":1700003600}");
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_required_claims(v, GH_CLAIM_SUB), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_leeway(v, 0), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  assert_int_equal(verify_reason(v, no_exp, NOW_MS), GH_JWT_OK); /* exp no longer required */
  assert_int_equal(verify_reason(v, future_iat, NOW_MS), GH_JWT_ISSUED_IN_FUTURE);
  gh_jwt_verifier_free(v);
  gh_free(no_exp);
  gh_free(future_iat);
  gh_jwks_free(set);
}

static void test_principal_accessors(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  char *token = hs256_token(
      "{\"sub\":\"alice\",\"exp\":1700003600,\"realm_access\":{\"roles\":[\"admin\",\"viewer\"]},\"scope\":\"a b\","
      "\"n\":42.5,\"ok\":true,\"aud\":\"one\"}");
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  gh_principal *p;
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, &p, NULL, NULL, 0), GH_OK);
  size_t n;
  const char *s;
  double d;
  int b;
  assert_int_equal(gh_principal_claim_strings_count(p, "realm_access.roles", 18, &n), GH_OK);
  assert_int_equal(n, 2);
  assert_int_equal(gh_principal_claim_strings_at(p, "realm_access.roles", 18, 1, &s), GH_OK);
  assert_string_equal(s, "viewer");
  assert_int_equal(gh_principal_claim_strings_at(p, "realm_access.roles", 18, 2, &s), GH_ENOTFOUND);
  assert_int_equal(gh_principal_claim_strings_count(p, "aud", 3, &n), GH_OK); /* a string counts as one */
  assert_int_equal(n, 1);
  assert_int_equal(gh_principal_claim_number(p, "n", 1, &d), GH_OK);
  assert_true(d == 42.5);
  assert_int_equal(gh_principal_claim_bool(p, "ok", 2, &b), GH_OK);
  assert_int_equal(b, 1);
  assert_int_equal(gh_principal_claim_string(p, "n", 1, &s), GH_EINVAL);
  assert_int_equal(gh_principal_claim_string(p, "realm_access.missing", 20, &s), GH_ENOTFOUND);
  assert_string_equal(gh_principal_alg(p), "HS256");
  assert_string_equal(gh_principal_kid(p), "k-HS256");
  size_t len;
  assert_non_null(strstr(gh_principal_payload(p, &len), "\"scope\":\"a b\""));
  gh_principal_free(p);
  gh_jwt_verifier_free(v);
  gh_free(token);
  gh_jwks_free(set);
}

/* The cache returns the principal without a signature check, compares the
 * whole token, expires entries with exp, and forgets everything on a key swap. */
static void test_cache(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  char *token = hs256_token("{\"sub\":\"alice\",\"exp\":1700000100}");
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_cache(v, 1000, 3600 * 1000), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  gh_principal *a, *b;
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, &a, NULL, NULL, 0), GH_OK);
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS + 1, &b, NULL, NULL, 0), GH_OK);
  assert_ptr_equal(a, b); /* the cached principal, shared by reference */
  gh_principal_free(b);
  /* a token differing in the signature only is not a hit */
  char *forged = strdup(token);
  forged[strlen(forged) - 3] ^= 1;
  int reason;
  assert_int_equal(gh_jwt_verify(v, forged, strlen(forged), NOW_MS, NULL, &reason, NULL, 0), GH_EDENIED);
  assert_true(reason == GH_JWT_BAD_SIGNATURE || reason == GH_JWT_MALFORMED);
  /* exp (100 s) + leeway (60 s) bounds the entry although the TTL is an hour */
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS + 161000, NULL, &reason, NULL, 0), GH_EDENIED);
  assert_int_equal(reason, GH_JWT_EXPIRED);
  /* a key swap drops cached verifications: the new set lacks the key */
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, &b, NULL, NULL, 0), GH_OK);
  gh_principal_free(b);
  cJSON *sets = t_load_json("jose/jwks.json");
  gh_jwks *other = set_from(sets, "oct-HS384");
  cJSON_Delete(sets);
  gh_jwt_verifier_set_jwks(v, other, NOW_MS);
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, NULL, &reason, NULL, 0), GH_EDENIED);
  assert_int_equal(reason, GH_JWT_UNKNOWN_KID);
  gh_principal_free(a);
  free(forged);
  gh_jwks_free(other);
  gh_jwt_verifier_free(v);
  gh_free(token);
  gh_jwks_free(set);
}

static void *principal_ref(void *p) { return gh__principal_ref(p); }
static void principal_release(void *p) { gh_principal_free(p); }

static void test_cache_bounded(void **state) {
  (void)state;
  gh__expiring_map *c;
  assert_int_equal(gh__expiring_map_new(&c, 64 * 16, principal_ref, principal_release), GH_OK);
  gh_jwks *set = hs256_set();
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  char *token = hs256_token("{\"sub\":\"a\",\"exp\":1700000100}");
  gh_principal *p;
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, &p, NULL, NULL, 0), GH_OK);
  char key[64];
  for (int i = 0; i < 100000; i++) {
    int n = snprintf(key, sizeof key, "token-%d", i);
    assert_int_equal(gh__expiring_map_put(c, key, (size_t)n, 1, NOW_MS + 1000, p, NOW_MS), GH_OK);
  }
  assert_true(gh__expiring_map_size(c) <= 64 * 16); /* never more than its slots */
  assert_true(gh__expiring_map_evictions(c) >= 100000 - 64 * 16); /* live entries evicted, and counted */
  gh_principal *hit = gh__expiring_map_get(c, "token-99999", 11, 1, NOW_MS);
  assert_ptr_equal(hit, p);
  gh_principal_free(hit);
  assert_null(gh__expiring_map_get(c, "token-99999", 11, 2, NOW_MS)); /* other generation */
  assert_null(gh__expiring_map_get(c, "token-99999", 11, 1, NOW_MS + 1000)); /* expired */
  /* add-if-absent, as the replay cache uses it */
  assert_int_equal(gh__expiring_map_add(c, "jti-1", 5, NOW_MS + 10, NOW_MS), 1);
  assert_int_equal(gh__expiring_map_add(c, "jti-1", 5, NOW_MS + 10, NOW_MS + 5), 0);
  assert_int_equal(gh__expiring_map_add(c, "jti-1", 5, NOW_MS + 30, NOW_MS + 10), 1); /* expired: new again */
  assert_true(gh__expiring_map_contains(c, "jti-1", 5, NOW_MS + 29));
  assert_false(gh__expiring_map_contains(c, "jti-1", 5, NOW_MS + 30));
  /* a map that keeps live entries refuses rather than forgets */
  gh__expiring_map *keep;
  assert_int_equal(gh__expiring_map_new(&keep, 64, NULL, NULL), GH_OK);
  gh__expiring_map_keep_live(keep);
  int refused = 0;
  for (int i = 0; i < 2000; i++) {
    int n = snprintf(key, sizeof key, "revoked-%d", i);
    int rc = gh__expiring_map_add(keep, key, (size_t)n, NOW_MS + 1000, NOW_MS);
    if (rc == GH_ETOOBIG) refused++;
    else assert_int_equal(rc, 1);
  }
  assert_true(refused > 0);
  assert_int_equal(gh__expiring_map_evictions(keep), 0);
  assert_int_equal(gh__expiring_map_add(keep, "late", 4, NOW_MS + 2000, NOW_MS + 1000), 1); /* expired ones make room */
  gh__expiring_map_free(keep);
  gh_principal_free(p);
  gh__expiring_map_free(c);
  gh_jwt_verifier_free(v);
  gh_free(token);
  gh_jwks_free(set);
}

/* The host drives refreshes: after the TTL, or after an unknown kid once the cooldown passed. */
static void test_refresh_schedule(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_refresh(v, 600000, 30000), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  assert_false(gh_jwt_verifier_refresh_due(v, NOW_MS + 1000));
  assert_true(gh_jwt_verifier_refresh_due(v, NOW_MS + 600000));
  /* a token with an unknown kid asks for a refresh, limited by the cooldown */
  const char *unknown = "eyJhbGciOiJIUzI1NiIsImtpZCI6Im5ldyJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  assert_int_equal(verify_reason(v, unknown, NOW_MS + 1000), GH_JWT_UNKNOWN_KID);
  assert_false(gh_jwt_verifier_refresh_due(v, NOW_MS + 20000));
  assert_true(gh_jwt_verifier_refresh_due(v, NOW_MS + 30000));
  gh_jwt_verifier_set_jwks(v, set, NOW_MS + 30000);
  assert_false(gh_jwt_verifier_refresh_due(v, NOW_MS + 61000));
  gh_jwt_verifier_free(v);
  gh_jwks_free(set);
}

/* Each PEM key from jose signs with the library and verifies against jose's JWKS. */
static void test_sign_roundtrip(void **state) {
  (void)state;
  static const char *const algs[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
  cJSON *sets = t_load_json("jose/jwks.json");
  gh_jwks *set = set_from(sets, "public");
  cJSON_Delete(sets);
  gh_jwt_verifier *v = standard_verifier(set);
  const char *payload = "{\"sub\":\"alice\",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700003600}";
  for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
    char path[64], kid[16], *token;
    size_t len;
    snprintf(path, sizeof path, "jose/keys/%s.pem", algs[i]);
    snprintf(kid, sizeof kid, "k-%s", algs[i]);
    char *pem = t_read_vector(path, &len);
    gh_signing_key *k;
    assert_int_equal(gh_signing_key_from_pem(&k, pem, len), GH_OK);
    assert_int_equal(gh_jwt_sign(k, algs[i], kid, payload, strlen(payload), &token, &len), GH_OK);
    int reason = verify_reason(v, token, NOW_MS);
    if (reason != GH_JWT_OK) fail_msg("%s: %s", algs[i], gh_jwt_reason_name(reason));
    gh_free(token);
    /* the key refuses algorithms of another family */
    assert_int_equal(gh_jwt_sign(k, "HS256", NULL, payload, strlen(payload), &token, &len), GH_EKEY);
    assert_null(token);
    gh_signing_key_free(k);
    free(pem);
  }
  gh_jwt_verifier_free(v);
  gh_jwks_free(set);
}

/* Private JWKs exported by npm jose from the same PEM keys (RFC 7518
 * sections 6.3.2 and 6.2.2): tokens verify against the public set, an RS256
 * signature (deterministic, RFC 8017 8.2) equals the PEM key's byte for byte,
 * and broken or foreign keys are refused. */
static void test_sign_with_private_jwk(void **state) {
  (void)state;
  static const char *const algs[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
  cJSON *sets = t_load_json("jose/jwks.json"), *jwks = t_load_json("jose/private-jwks.json");
  gh_jwks *set = set_from(sets, "public");
  cJSON_Delete(sets);
  gh_jwt_verifier *v = standard_verifier(set);
  const char *payload = "{\"sub\":\"alice\",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700003600}";
  for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
    char kid[16], *token, *jwk = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), algs[i]));
    size_t len;
    snprintf(kid, sizeof kid, "k-%s", algs[i]);
    gh_signing_key *k;
    assert_int_equal(gh_signing_key_from_jwk(&k, jwk, strlen(jwk)), GH_OK);
    assert_int_equal(gh_jwt_sign(k, algs[i], kid, payload, strlen(payload), &token, &len), GH_OK);
    int reason = verify_reason(v, token, NOW_MS);
    if (reason != GH_JWT_OK) fail_msg("%s: %s", algs[i], gh_jwt_reason_name(reason));
    if (!strcmp(algs[i], "RS256")) {
      char path[64], *from_pem;
      snprintf(path, sizeof path, "jose/keys/%s.pem", algs[i]);
      char *pem = t_read_vector(path, &len);
      gh_signing_key *pk;
      assert_int_equal(gh_signing_key_from_pem(&pk, pem, len), GH_OK);
      assert_int_equal(gh_jwt_sign(pk, algs[i], kid, payload, strlen(payload), &from_pem, &len), GH_OK);
      assert_string_equal(token, from_pem);
      gh_free(from_pem);
      gh_signing_key_free(pk);
      free(pem);
    }
    gh_free(token);
    gh_signing_key_free(k);
    free(jwk);
  }
  /* a "d" from another key of the same size: refused, not signing unverifiable tokens */
  cJSON *rs = cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), "RS256"), 1);
  cJSON *other = cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), "RS384");
  static const char *const members[] = {"d", "p", "q", "dp", "dq", "qi"};
  for (size_t m = 0; m < 6; m++)
    cJSON_ReplaceItemInObject(rs, members[m], cJSON_CreateString(cJSON_GetObjectItem(other, members[m])->valuestring));
  char *text = cJSON_PrintUnformatted(rs);
  gh_signing_key *k = NULL;
  assert_int_equal(gh_signing_key_from_jwk(&k, text, strlen(text)), GH_EKEY);
  assert_null(k);
  free(text);
  cJSON *es = cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), "ES256"), 1);
  const char *d = cJSON_GetObjectItem(es, "d")->valuestring;
  char flipped[128];
  snprintf(flipped, sizeof flipped, "%s", d);
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  cJSON_ReplaceItemInObject(es, "d", cJSON_CreateString(flipped));
  text = cJSON_PrintUnformatted(es);
  assert_int_equal(gh_signing_key_from_jwk(&k, text, strlen(text)), GH_EKEY);
  free(text);
  cJSON_DeleteItemFromObject(es, "d"); /* a public key */
  text = cJSON_PrintUnformatted(es);
  assert_int_equal(gh_signing_key_from_jwk(&k, text, strlen(text)), GH_EKEY);
  free(text);
  cJSON_DeleteItemFromObject(rs, "qi"); /* without the CRT members the DER cannot be formed */
  text = cJSON_PrintUnformatted(rs);
  assert_int_equal(gh_signing_key_from_jwk(&k, text, strlen(text)), GH_EKEY);
  free(text);
  cJSON_AddItemToObject(rs, "oth", cJSON_CreateArray()); /* RFC 7518 6.3.2.7: more primes */
  text = cJSON_PrintUnformatted(rs);
  assert_int_equal(gh_signing_key_from_jwk(&k, text, strlen(text)), GH_EUNSUPPORTED);
  free(text);
  /* every allocation failing in turn: GH_ENOMEM or success, nothing leaked */
  for (size_t i = 0; i < 2; i++) {
    char *jwk = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), i ? "ES384" : "PS256"));
    t_alloc_install();
    long n;
    for (n = 1; n < 10000; n += t_faultsim_step()) {
      t_alloc_fail_at(n);
      int rc = gh_signing_key_from_jwk(&k, jwk, strlen(jwk));
      long made = t_alloc_count();
      if (rc == GH_OK) gh_signing_key_free(k);
      else if (rc != GH_ENOMEM) fail_msg("failing allocation %ld gave %s", n, gh_err_name(rc));
      if (t_alloc_outstanding()) fail_msg("failing allocation %ld leaked %ld", n, t_alloc_outstanding());
      if (made < n) break;
    }
    t_alloc_fail_at(0);
    assert_true(n > 10);
    t_alloc_uninstall();
    free(jwk);
  }
  /* a whole, consistent key whose public half a key set refuses (1024 bits) */
  text = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(jwks, "keys"), "RS256-1024"));
  assert_int_equal(gh_signing_key_from_jwk(&k, text, strlen(text)), GH_EKEY);
  free(text);
  const char *okp = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\",\"d\":\"AA\"}";
  assert_int_equal(gh_signing_key_from_jwk(&k, okp, strlen(okp)), GH_EUNSUPPORTED);
  cJSON_Delete(rs);
  cJSON_Delete(es);
  cJSON_Delete(jwks);
  gh_jwt_verifier_free(v);
  gh_jwks_free(set);
}

/* RFC 7518 §3.2: "A key of the same size as the hash output (for instance,
 * 256 bits for HS256) or larger MUST be used with this algorithm." */
static void test_sign_refuses_short_hmac_keys(void **state) {
  (void)state;
  unsigned char secret[64];
  memset(secret, 7, sizeof secret);
  const struct {
    const char *alg;
    size_t bytes;
  } algs[] = {{"HS256", 32}, {"HS384", 48}, {"HS512", 64}};
  for (size_t i = 0; i < 3; i++) {
    gh_signing_key *k;
    char *token;
    size_t len;
    assert_int_equal(gh_signing_key_from_secret(&k, secret, algs[i].bytes - 1), GH_OK);
    assert_int_equal(gh_jwt_sign(k, algs[i].alg, NULL, "{}", 2, &token, &len), GH_EKEY);
    gh_signing_key_free(k);
    assert_int_equal(gh_signing_key_from_secret(&k, secret, algs[i].bytes), GH_OK);
    assert_int_equal(gh_jwt_sign(k, algs[i].alg, NULL, "{}", 2, &token, &len), GH_OK);
    gh_free(token);
    gh_signing_key_free(k);
  }
}

/* Decoding for display: strict base64url (RFC 7515 section 2), three parts. */
static void test_decode_unverified(void **state) {
  (void)state;
  char *h, *p;
  size_t hl, pl;
  const char *t = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig"; /* {"alg":"HS256"}.{"sub":"a"} */
  assert_int_equal(gh_jwt_decode_unverified(t, strlen(t), &h, &hl, &p, &pl), GH_OK);
  assert_string_equal(h, "{\"alg\":\"HS256\"}");
  assert_string_equal(p, "{\"sub\":\"a\"}");
  assert_int_equal(hl, 15);
  assert_int_equal(pl, 11);
  gh_free(h);
  const char *bad[] = {"a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiJhIn0.s", "eyJ+.eyJzdWIiOiJhIn0.s", "", ".."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (i == 5) { /* empty parts decode to empty texts */
      assert_int_equal(gh_jwt_decode_unverified(bad[i], 2, &h, NULL, &p, NULL), GH_OK);
      assert_string_equal(h, "");
      gh_free(h);
      continue;
    }
    assert_int_equal(gh_jwt_decode_unverified(bad[i], strlen(bad[i]), &h, NULL, &p, NULL), GH_EPARSE);
    assert_null(h);
  }
  char *big = calloc(1, GH_JWT_DEFAULT_MAX_TOKEN_LEN + 2);
  memset(big, 'A', GH_JWT_DEFAULT_MAX_TOKEN_LEN + 1);
  assert_int_equal(gh_jwt_decode_unverified(big, GH_JWT_DEFAULT_MAX_TOKEN_LEN + 1, &h, NULL, &p, NULL), GH_ETOOBIG);
  free(big);
}

/* A refused issuer or audience shows the token's value beside the accepted
 * ones (RFC 7519 sections 4.1.1 and 4.1.3): the mismatch explains itself. */
static void test_mismatch_messages(void **state) {
  (void)state;
  gh_jwks *set = hs256_set();
  char *token = hs256_token("{\"sub\":\"a\",\"iss\":\"https://other.example\",\"aud\":[\"api://x\",\"api://y\"],\"exp\":1700000100}");
  gh_jwt_verifier *v = standard_verifier(set);
  char msg[512];
  int reason;
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, NULL, &reason, msg, sizeof msg), GH_EDENIED);
  assert_int_equal(reason, GH_JWT_BAD_ISSUER);
  assert_non_null(strstr(msg, "\"https://other.example\" in the token; accepted: \"" ISS "\""));
  gh_jwt_verifier_free(v);
  gh_free(token);
  token = hs256_token("{\"sub\":\"a\",\"iss\":\"" ISS "\",\"aud\":[\"api://x\",\"api://y\"],\"exp\":1700000100}");
  v = standard_verifier(set);
  assert_int_equal(gh_jwt_verify(v, token, strlen(token), NOW_MS, NULL, &reason, msg, sizeof msg), GH_EDENIED);
  assert_int_equal(reason, GH_JWT_BAD_AUDIENCE);
  assert_non_null(strstr(msg, "[\"api://x\",\"api://y\"] in the token; accepted: \"" AUD "\""));
  gh_jwt_verifier_free(v);
  gh_free(token);
  gh_jwks_free(set);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sign_refuses_short_hmac_keys), cmocka_unit_test(test_mismatch_messages), cmocka_unit_test(test_decode_unverified),
      cmocka_unit_test(test_jose_fixtures),       cmocka_unit_test(test_configuration_rules),
      cmocka_unit_test(test_alg_allow_list),      cmocka_unit_test(test_typ_and_lifetime),
      cmocka_unit_test(test_required_claims_and_leeway), cmocka_unit_test(test_principal_accessors),
      cmocka_unit_test(test_cache),               cmocka_unit_test(test_cache_bounded),
      cmocka_unit_test(test_refresh_schedule),    cmocka_unit_test(test_sign_roundtrip),
      cmocka_unit_test(test_sign_with_private_jwk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
