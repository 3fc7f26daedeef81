/* Realms and identity providers (issue 3): isolation between realms, IdP
 * order and "not mine", claim mapping, API keys, introspection (RFC 7662),
 * custom hooks, revocation, DPoP and mTLS binding, step-up (RFC 9470),
 * RFC 6750 challenges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

#define NOW 1700000000LL
#define NOW_MS (NOW * 1000)

/* An HS256 verifier for one issuer and key (kid "realm"); GH_ENOMEM-safe. */
static int make_verifier(const char *iss, const char *k_b64, const char *kid, gh_jwt_verifier **out) {
  char jwk[256];
  snprintf(jwk, sizeof jwk, "{\"kty\":\"oct\",\"kid\":\"%s\",\"k\":\"%s\"}", kid, k_b64);
  gh_jwks *set = NULL;
  gh_jwt_verifier *v = NULL;
  int rc = gh_jwks_parse(&set, jwk, strlen(jwk), NULL, 0);
  if (!rc) rc = gh_jwt_verifier_new(&v);
  if (!rc && iss) rc = gh_jwt_verifier_add_issuer(v, iss, strlen(iss));
  if (!rc) rc = gh_jwt_verifier_build(v);
  if (!rc) rc = gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  gh_jwks_free(set);
  if (rc) gh_jwt_verifier_free(v);
  else *out = v;
  return rc;
}

static gh_jwt_verifier *verifier_for(const char *iss, const char *k_b64) {
  gh_jwt_verifier *v;
  assert_int_equal(make_verifier(iss, k_b64, "realm", &v), GH_OK);
  return v;
}

static char *token(const char *k_b64, const char *payload) {
  char jwk[256], *t;
  size_t len;
  snprintf(jwk, sizeof jwk, "{\"kty\":\"oct\",\"k\":\"%s\"}", k_b64);
  gh_signing_key *key;
  assert_int_equal(gh_signing_key_from_jwk(&key, jwk, strlen(jwk)), GH_OK);
  assert_int_equal(gh_jwt_sign(key, "HS256", "realm", payload, strlen(payload), &t, &len), GH_OK);
  gh_signing_key_free(key);
  return t;
}

#define KEY_A "a2V5LWEta2V5LWEta2V5LWEta2V5LWEta2V5LWEtMDE"
#define KEY_B "a2V5LWIta2V5LWIta2V5LWIta2V5LWIta2V5LWItMDE"

typedef struct world {
  gh_realm *a, *b;
  gh_jwt_verifier *va, *vb;
} world;

static gh_realm *realm_with_jwt(const char *name, gh_jwt_verifier *v) {
  gh_realm *r;
  gh_idp *idp;
  assert_int_equal(gh_realm_new(&r, name), GH_OK);
  assert_int_equal(gh_idp_new_jwt(&idp, "jwt", v), GH_OK);
  gh_idp_map_roles(idp, "realm_access.roles");
  gh_idp_map_groups(idp, "groups");
  assert_int_equal(gh_realm_add_idp(r, idp), GH_OK);
  gh_idp_free(idp); /* the realm holds its own reference */
  return r;
}

static int authenticate(gh_realm *r, const char *authorization, const char *api_key, gh_identity **id, char *challenge) {
  gh_auth_request *q;
  gh_auth_request_new(&q);
  if (authorization) gh_auth_request_set_authorization(q, authorization, strlen(authorization));
  if (api_key) gh_auth_request_set_api_key(q, api_key, strlen(api_key));
  int reason = -1;
  int rc = gh_realm_authenticate(r, q, NOW_MS, id, &reason, challenge, 512);
  gh_auth_request_free(q);
  return rc == GH_OK ? GH_AUTH_OK : rc == GH_EDENIED ? reason : -100 + rc;
}

static char *bearer(const char *t) {
  char *h = malloc(strlen(t) + 8);
  sprintf(h, "Bearer %s", t);
  return h;
}

static void test_isolation_and_mapping(void **state) {
  (void)state;
  /* IdPs tell tokens apart by issuer, key id and algorithm: realm B's key has its own kid */
  gh_jwt_verifier *va = verifier_for("https://a.example", KEY_A), *vb;
  assert_int_equal(make_verifier("https://b.example", KEY_B, "realm-b", &vb), GH_OK);
  gh_realm *a = realm_with_jwt("acme", va), *b = realm_with_jwt("beta", vb);
  char *t = token(KEY_A, "{\"sub\":\"alice\",\"iss\":\"https://a.example\",\"exp\":1700000600,\"azp\":\"web\","
                         "\"realm_access\":{\"roles\":[\"admin\",\"viewer\"]},\"scope\":\"openid orders:read\","
                         "\"groups\":[\"/ops\"],\"acr\":\"1\",\"amr\":[\"pwd\",\"otp\"]}");
  char *h = bearer(t), challenge[512];
  gh_identity *id;
  assert_int_equal(authenticate(a, h, NULL, &id, challenge), GH_AUTH_OK);
  assert_string_equal(gh_identity_subject(id), "alice");
  assert_string_equal(gh_identity_realm(id), "acme");
  assert_string_equal(gh_identity_idp(id), "jwt");
  assert_string_equal(gh_identity_client_id(id), "web");
  assert_int_equal(gh_identity_role_count(id), 2);
  assert_string_equal(gh_identity_role(id, 0), "admin");
  assert_int_equal(gh_identity_scope_count(id), 2);
  assert_string_equal(gh_identity_scope(id, 1), "orders:read");
  assert_string_equal(gh_identity_group(id, 0), "/ops");
  assert_int_equal(gh_identity_amr_count(id), 2);
  /* step-up (RFC 9470): acr "1" is not "mfa"; amr holds otp but not hwk */
  assert_int_equal(gh_identity_require(id, NULL, "otp", challenge, sizeof challenge), GH_OK);
  assert_int_equal(gh_identity_require(id, "mfa urn:acr:2", NULL, challenge, sizeof challenge), GH_EDENIED);
  assert_string_equal(challenge, "Bearer realm=\"acme\", error=\"insufficient_user_authentication\", "
                                 "error_description=\"a stronger authentication is required\", acr_values=\"mfa urn:acr:2\"");
  assert_int_equal(gh_identity_require(id, "1", "otp hwk", challenge, sizeof challenge), GH_EDENIED);
  /* an authorization denial (403): RFC 6750 section 3.1 */
  gh_identity_challenge_insufficient_scope(id, "orders:write", challenge, sizeof challenge);
  assert_string_equal(challenge, "Bearer realm=\"acme\", error=\"insufficient_scope\", error_description=\"the request "
                                 "requires more privileges than the token grants\", scope=\"orders:write\"");
  gh_identity_free(id);
  /* realm B does not trust realm A's issuer */
  assert_int_equal(authenticate(b, h, NULL, &id, challenge), GH_AUTH_UNKNOWN_ISSUER);
  assert_null(id);
  assert_non_null(strstr(challenge, "Bearer realm=\"beta\", error=\"invalid_token\""));
  /* ... until it trusts it explicitly */
  gh_idp *trust;
  assert_int_equal(gh_idp_new_jwt(&trust, "trust-acme", va), GH_OK);
  assert_int_equal(gh_realm_add_idp(b, trust), GH_OK);
  assert_int_equal(gh_realm_add_idp(b, trust), GH_EEXIST);
  assert_int_equal(authenticate(b, h, NULL, &id, challenge), GH_AUTH_OK);
  assert_string_equal(gh_identity_realm(id), "beta");
  gh_identity_free(id);
  assert_int_equal(gh_realm_remove_idp(b, "trust-acme", 10), GH_OK);
  assert_int_equal(gh_realm_remove_idp(b, "trust-acme", 10), GH_ENOTFOUND);
  assert_int_equal(authenticate(b, h, NULL, &id, challenge), GH_AUTH_UNKNOWN_ISSUER);
  gh_idp_free(trust);
  /* no credentials: 401 with a bare challenge (RFC 6750 3.1) */
  assert_int_equal(authenticate(a, NULL, NULL, &id, challenge), GH_AUTH_NO_CREDENTIALS);
  assert_string_equal(challenge, "Bearer realm=\"acme\"");
  assert_int_equal(gh_auth_reason_status(GH_AUTH_NO_CREDENTIALS), 401);
  /* an expired token of this realm's issuer is rejected, not passed on */
  char *old = token(KEY_A, "{\"sub\":\"alice\",\"iss\":\"https://a.example\",\"exp\":1699990000}");
  char *oh = bearer(old);
  assert_int_equal(authenticate(a, oh, NULL, &id, challenge), GH_AUTH_INVALID_TOKEN);
  assert_non_null(strstr(challenge, "error_description=\"token has expired (exp)\""));
  free(oh), gh_free(old), free(h), gh_free(t);
  gh_realm_free(a), gh_realm_free(b);
  gh_jwt_verifier_free(va), gh_jwt_verifier_free(vb);
}

static int introspections;
/* An authorization server: "opaque-good" is active, "opaque-off" is not, "opaque-err" fails. */
static int introspect(void *ud, const char *t, size_t len, char **json, size_t *json_len) {
  (void)ud;
  introspections++;
  const char *answer;
  if (len == 11 && !memcmp(t, "opaque-good", 11))
    answer = "{\"active\":true,\"sub\":\"svc\",\"client_id\":\"batch\",\"scope\":\"a b\",\"exp\":1700000600}";
  else if (len == 10 && !memcmp(t, "opaque-err", 10)) return -1;
  else answer = "{\"active\":false}";
  *json = strdup(answer);
  *json_len = strlen(answer);
  return 0;
}

/* A legacy session store: "session=..." cookies are its own. */
static int custom(void *ud, const char *cred, size_t len, char **json, size_t *json_len) {
  (void)ud;
  if (len < 8 || memcmp(cred, "session=", 8)) return 0;
  const char *claims = "{\"sub\":\"legacy-user\",\"roles\":\"clerk auditor\"}";
  *json = strdup(claims);
  *json_len = strlen(claims);
  return 1;
}

static void test_providers_in_order(void **state) {
  (void)state;
  gh_jwt_verifier *va = verifier_for("https://a.example", KEY_A);
  gh_realm *r = realm_with_jwt("acme", va);
  gh_idp *intro, *keys, *legacy;
  gh_apikey_store *store;
  gh_apikey_store_new(&store);
  gh_apikey_store_add(store, "k-123", 5, "partner-7", "reports:read", 0);
  gh_apikey_store_add(store, "k-old", 5, "partner-8", "", 1);
  gh_apikey_store_build(store);
  assert_int_equal(gh_idp_new_apikey(&keys, "keys", store), GH_OK);
  assert_int_equal(gh_idp_new_introspection(&intro, "as", introspect, NULL, 60000), GH_OK);
  assert_int_equal(gh_idp_new_custom(&legacy, "legacy", custom, NULL), GH_OK);
  gh_idp_map_roles(legacy, "roles");
  gh_realm_add_idp(r, keys), gh_realm_add_idp(r, intro), gh_realm_add_idp(r, legacy);
  gh_idp_free(keys), gh_idp_free(intro), gh_idp_free(legacy);
  assert_int_equal(gh_realm_idp_count(r), 4);
  char challenge[512];
  gh_identity *id;
  /* an opaque token: not a JWT, so introspection answers; cached afterwards */
  introspections = 0;
  assert_int_equal(authenticate(r, "Bearer opaque-good", NULL, &id, challenge), GH_AUTH_OK);
  assert_string_equal(gh_identity_idp(id), "as");
  assert_string_equal(gh_identity_client_id(id), "batch");
  assert_int_equal(gh_identity_scope_count(id), 2);
  gh_identity_free(id);
  assert_int_equal(authenticate(r, "Bearer opaque-good", NULL, &id, challenge), GH_AUTH_OK);
  gh_identity_free(id);
  assert_int_equal(introspections, 1);
  /* only "active": true is valid (RFC 7662 2.2) */
  assert_int_equal(authenticate(r, "Bearer opaque-off", NULL, &id, challenge), GH_AUTH_INACTIVE);
  /* a failing hook is 503, not 401 */
  assert_int_equal(authenticate(r, "bearer opaque-err", NULL, &id, challenge), GH_AUTH_IDP_ERROR);
  assert_int_equal(gh_auth_reason_status(GH_AUTH_IDP_ERROR), 503);
  /* API keys: the consumer is the subject, the key's scopes the scopes */
  assert_int_equal(authenticate(r, NULL, "k-123", &id, challenge), GH_AUTH_OK);
  assert_string_equal(gh_identity_subject(id), "partner-7");
  assert_string_equal(gh_identity_scope(id, 0), "reports:read");
  gh_identity_free(id);
  assert_int_equal(authenticate(r, NULL, "k-old", &id, challenge), GH_AUTH_INVALID_API_KEY); /* expired */
  /* an unknown key falls through to the custom IdP, which knows session cookies */
  assert_int_equal(authenticate(r, NULL, "nope", &id, challenge), GH_AUTH_INVALID_API_KEY);
  assert_int_equal(authenticate(r, NULL, "session=abc", &id, challenge), GH_AUTH_OK);
  assert_string_equal(gh_identity_subject(id), "legacy-user");
  assert_int_equal(gh_identity_role_count(id), 2);
  gh_identity_free(id);
  gh_realm_free(r);
  gh_jwt_verifier_free(va);
  gh_apikey_store_free(store);
}

static void test_revocation(void **state) {
  (void)state;
  gh_jwt_verifier *va = verifier_for(NULL, KEY_A);
  gh_realm *r = realm_with_jwt("acme", va);
  char *t = token(KEY_A, "{\"sub\":\"alice\",\"exp\":1700000600,\"jti\":\"t-42\"}"), *h = bearer(t), challenge[512];
  gh_identity *id;
  assert_int_equal(authenticate(r, h, NULL, &id, challenge), GH_AUTH_OK);
  gh_identity_free(id);
  assert_int_equal(gh_realm_revoke(r, "t-42", 4, 1700000600000LL, NOW_MS), GH_OK);
  assert_int_equal(authenticate(r, h, NULL, &id, challenge), GH_AUTH_REVOKED);
  assert_non_null(strstr(challenge, "error=\"invalid_token\""));
  free(h), gh_free(t);
  gh_realm_free(r);
  gh_jwt_verifier_free(va);
}

/* DPoP-bound and certificate-bound tokens (RFC 9449 7, RFC 8705 3), made by npm jose. */
static void test_binding(void **state) {
  (void)state;
  cJSON *doc = t_load_json("dpop/proofs.json"), *b = cJSON_GetObjectItem(doc, "bound");
  const char *k = cJSON_GetObjectItem(b, "secret_k")->valuestring, *tok = cJSON_GetObjectItem(b, "dpop_token")->valuestring,
             *proof = cJSON_GetObjectItem(b, "dpop_proof")->valuestring, *htu = cJSON_GetObjectItem(b, "htu")->valuestring,
             *mtls = cJSON_GetObjectItem(b, "mtls_token")->valuestring;
  gh_jwt_verifier *v = verifier_for("https://id.example.com", k);
  gh_realm *r = realm_with_jwt("acme", v);
  gh_dpop_verifier *dv;
  gh_dpop_verifier_new(&dv);
  gh_dpop_verifier_build(dv);
  assert_int_equal(gh_realm_set_dpop(r, dv), GH_OK);
  gh_dpop_verifier_free(dv); /* the realm holds its own reference */
  char auth[2048], challenge[512];
  gh_identity *id;
  int reason;
  gh_auth_request *q;
  gh_auth_request_new(&q);
  snprintf(auth, sizeof auth, "DPoP %s", tok);
  gh_auth_request_set_authorization(q, auth, strlen(auth));
  gh_auth_request_set_dpop(q, proof, strlen(proof), "GET", 3, htu, strlen(htu));
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_OK);
  gh_identity_free(id);
  /* the same proof again is a replay */
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_EDENIED);
  assert_int_equal(reason, GH_AUTH_INVALID_DPOP_PROOF);
  assert_non_null(strstr(challenge, "DPoP realm=\"acme\", error=\"invalid_dpop_proof\""));
  /* a bound token under Bearer, or without its proof, is refused */
  gh_auth_request_reset(q);
  snprintf(auth, sizeof auth, "Bearer %s", tok);
  gh_auth_request_set_authorization(q, auth, strlen(auth));
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_EDENIED);
  assert_int_equal(reason, GH_AUTH_BINDING);
  gh_auth_request_reset(q);
  snprintf(auth, sizeof auth, "DPoP %s", tok);
  gh_auth_request_set_authorization(q, auth, strlen(auth));
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_EDENIED);
  assert_int_equal(reason, GH_AUTH_INVALID_DPOP_PROOF);
  /* certificate-bound: the right certificate, none, another */
  size_t n;
  unsigned char *cert = t_unhex(cJSON_GetObjectItem(b, "cert_sha256_hex")->valuestring, &n);
  gh_auth_request_reset(q);
  snprintf(auth, sizeof auth, "Bearer %s", mtls);
  gh_auth_request_set_authorization(q, auth, strlen(auth));
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_EDENIED);
  assert_int_equal(reason, GH_AUTH_BINDING);
  gh_auth_request_set_client_cert_sha256(q, cert);
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_OK);
  gh_identity_free(id);
  cert[0] ^= 1;
  gh_auth_request_set_client_cert_sha256(q, cert);
  assert_int_equal(gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge), GH_EDENIED);
  assert_int_equal(reason, GH_AUTH_BINDING);
  free(cert);
  gh_auth_request_free(q);
  gh_realm_free(r);
  gh_jwt_verifier_free(v);
  cJSON_Delete(doc);
}

static char *g_token; /* signed before the failure loop */

static int realm_round(void) {
  gh_jwt_verifier *va = NULL;
  gh_realm *r = NULL;
  gh_idp *idp = NULL, *intro = NULL;
  int rc = make_verifier("https://a.example", KEY_A, "realm", &va);
  if (!rc) rc = gh_realm_new(&r, "acme");
  if (!rc) rc = gh_idp_new_jwt(&idp, "jwt", va);
  if (!rc) rc = gh_idp_map_roles(idp, "realm_access.roles");
  if (!rc) rc = gh_realm_add_idp(r, idp);
  if (!rc) rc = gh_idp_new_introspection(&intro, "as", introspect, NULL, 60000);
  if (!rc) rc = gh_realm_add_idp(r, intro);
  char h[512], challenge[256];
  snprintf(h, sizeof h, "Bearer %s", g_token);
  const char *creds[] = {h, "Bearer opaque-good", "Bearer opaque-off"};
  for (int i = 0; i < 3 && !rc; i++) {
    gh_auth_request *q = NULL;
    gh_identity *id = NULL;
    int reason;
    rc = gh_auth_request_new(&q);
    if (!rc) rc = gh_auth_request_set_authorization(q, creds[i], strlen(creds[i]));
    if (!rc) {
      rc = gh_realm_authenticate(r, q, NOW_MS, &id, &reason, challenge, sizeof challenge);
      if (rc == GH_EDENIED) rc = GH_OK;
    }
    gh_identity_free(id);
    gh_auth_request_free(q);
  }
  gh_idp_free(idp), gh_idp_free(intro);
  gh_realm_free(r);
  gh_jwt_verifier_free(va);
  return rc;
}

static void test_allocation_failure(void **state) {
  (void)state;
  char *t = token(KEY_A, "{\"sub\":\"alice\",\"iss\":\"https://a.example\",\"exp\":1700000600,\"realm_access\":{\"roles\":[\"x\"]}}");
  g_token = strdup(t);
  gh_free(t);
  t_alloc_install();
  long n;
  for (n = 1; n < 200000; n += t_faultsim_step()) {
    t_alloc_fail_at(n);
    int rc = realm_round();
    long made = t_alloc_count();
    if (rc != GH_OK && rc != GH_ENOMEM) fail_msg("failing allocation %ld gave %s", n, gh_err_name(rc));
    if (t_alloc_outstanding()) fail_msg("failing allocation %ld leaked %ld", n, t_alloc_outstanding());
    if (made < n) break;
  }
  t_alloc_fail_at(0);
  assert_true(n > 30);
  assert_int_equal(realm_round(), GH_OK);
  t_alloc_uninstall();
  free(g_token);
}

static int operator_idp(void *ud, const char *cred, size_t len, char **json, size_t *json_len) {
  (void)ud, (void)cred, (void)len, (void)json, (void)json_len;
  return 0;
}

/* What an operator hears through gh_set_log: key sets swapped, identity
 * providers added and removed; never a key. */
static void test_operator_log(void **state) {
  (void)state;
  t_log_capture(GH_LOG_INFO);
  cJSON *sets = t_load_json("jose/jwks.json");
  char *oct = cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "oct-HS256"));
  gh_jwks *keys;
  assert_int_equal(gh_jwks_parse(&keys, oct, strlen(oct), NULL, 0), GH_OK);
  gh_jwt_verifier *v;
  assert_int_equal(gh_jwt_verifier_new(&v), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(v), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_jwks(v, keys, 1700000000000LL), GH_OK);
  assert_int_equal(t_log_count("1 jwt verifier: key set swapped in (1 keys, 0 skipped)"), 1);
  const char *k = strstr(oct, "\"k\":\"");
  assert_non_null(k);
  char secret[16];
  memcpy(secret, k + 5, sizeof secret - 1), secret[sizeof secret - 1] = 0;
  assert_null(strstr(t_log_all(), secret)); /* the key itself, never */
  gh_realm *r;
  gh_idp *idp;
  assert_int_equal(gh_realm_new(&r, "acme"), GH_OK);
  assert_int_equal(gh_idp_new_custom(&idp, "legacy", operator_idp, NULL), GH_OK);
  assert_int_equal(gh_realm_add_idp(r, idp), GH_OK);
  assert_int_equal(gh_realm_add_idp(r, idp), GH_EEXIST); /* nothing changed: nothing said */
  assert_int_equal(gh_realm_remove_idp(r, "legacy", 6), GH_OK);
  assert_int_equal(t_log_count("1 realm acme: identity provider legacy added"), 1);
  assert_int_equal(t_log_count("1 realm acme: identity provider legacy removed"), 1);
  assert_int_equal(t_log_count("legacy"), 2);
  t_log_capture(GH_LOG_WARN); /* below the level: not even made */
  assert_int_equal(gh_realm_add_idp(r, idp), GH_OK);
  assert_int_equal(t_log_count("legacy"), 0);
  t_log_stop();
  gh_idp_free(idp);
  gh_realm_free(r);
  gh_jwt_verifier_free(v);
  gh_jwks_free(keys);
  free(oct);
  cJSON_Delete(sets);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isolation_and_mapping), cmocka_unit_test(test_providers_in_order),
      cmocka_unit_test(test_revocation),            cmocka_unit_test(test_binding),
      cmocka_unit_test(test_allocation_failure), cmocka_unit_test(test_operator_log),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
