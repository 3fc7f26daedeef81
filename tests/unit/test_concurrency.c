/* Shared objects under concurrent use (run under TSan by `make tsan`):
 * verifiers with a cache verifying on several threads while another thread
 * swaps key sets, and API key lookups racing revocations. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

#define NOW_MS 1700000000000LL
#define THREADS 4
#define ROUNDS 400

static gh_jwt_verifier *g_verifier;
static char *g_valid[3], *g_invalid;
static atomic_int g_failures;
static atomic_bool g_stop;

static atomic_int g_accepted, g_unknown_kid;

/* Each verification sees one key set or the other: the full set accepts the
 * token, the set without its key answers UNKNOWN_KID; nothing else. */
static void *verify_loop(void *arg) {
  (void)arg;
  for (int r = 0; r < ROUNDS; r++) {
    for (int i = 0; i < 3; i++) {
      gh_principal *p = NULL;
      int reason = -1;
      int rc = gh_jwt_verify(g_verifier, g_valid[i], strlen(g_valid[i]), NOW_MS, &p, &reason, NULL, 0);
      if (rc == GH_OK && !strcmp(gh_principal_subject(p), "alice")) atomic_fetch_add(&g_accepted, 1);
      else if (rc == GH_EDENIED && reason == GH_JWT_UNKNOWN_KID) atomic_fetch_add(&g_unknown_kid, 1);
      else atomic_fetch_add(&g_failures, 1);
      gh_principal_free(p);
    }
    if (gh_jwt_verify(g_verifier, g_invalid, strlen(g_invalid), NOW_MS, NULL, NULL, NULL, 0) != GH_EDENIED)
      atomic_fetch_add(&g_failures, 1);
  }
  return NULL;
}

static void *swap_loop(void *arg) {
  gh_jwks **sets = arg;
  for (int i = 0; !atomic_load(&g_stop); i++) gh_jwt_verifier_set_jwks(g_verifier, sets[i & 1], NOW_MS);
  return NULL;
}

static void test_verify_while_swapping_keys(void **state) {
  (void)state;
  cJSON *sets = t_load_json("jose/jwks.json"), *tokens = t_load_json("jose/tokens.json"), *c;
  char *pub = cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "public"));
  /* the other set: the same issuer's keys without those the tokens name */
  cJSON *keys = cJSON_GetObjectItem(cJSON_GetObjectItem(sets, "public"), "keys"), *rest = cJSON_CreateArray(), *k;
  cJSON_ArrayForEach(k, keys) {
    const char *kid = cJSON_GetObjectItem(k, "kid")->valuestring;
    if (strcmp(kid, "k-RS256") && strcmp(kid, "k-ES256") && strcmp(kid, "k-PS256"))
      cJSON_AddItemToArray(rest, cJSON_Duplicate(k, 1));
  }
  cJSON *other = cJSON_CreateObject();
  cJSON_AddItemToObject(other, "keys", rest);
  char *without = cJSON_PrintUnformatted(other);
  cJSON_Delete(other);
  gh_jwks *set[2];
  assert_int_equal(gh_jwks_parse(&set[0], pub, strlen(pub), NULL, 0), GH_OK);
  assert_int_equal(gh_jwks_parse(&set[1], without, strlen(without), NULL, 0), GH_OK);
  free(without);
  static const char *const wanted[] = {"RS256 valid", "ES256 valid", "PS256 valid", "RS256 tampered payload"};
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(tokens, "cases")) {
    for (int i = 0; i < 4; i++)
      if (!strcmp(cJSON_GetObjectItem(c, "name")->valuestring, wanted[i])) {
        char *t = strdup(cJSON_GetObjectItem(c, "token")->valuestring);
        if (i < 3) g_valid[i] = t;
        else g_invalid = t;
      }
  }
  assert_int_equal(gh_jwt_verifier_new(&g_verifier), GH_OK);
  assert_int_equal(gh_jwt_verifier_set_cache(g_verifier, 1024, 60000), GH_OK);
  assert_int_equal(gh_jwt_verifier_build(g_verifier), GH_OK);
  /* a swap takes effect at once, cache or not */
  for (int round = 0; round < 2; round++) {
    int reason = -1;
    assert_int_equal(gh_jwt_verifier_set_jwks(g_verifier, set[0], NOW_MS), GH_OK);
    assert_int_equal(gh_jwt_verify(g_verifier, g_valid[0], strlen(g_valid[0]), NOW_MS, NULL, NULL, NULL, 0), GH_OK);
    assert_int_equal(gh_jwt_verifier_set_jwks(g_verifier, set[1], NOW_MS), GH_OK);
    assert_int_equal(gh_jwt_verify(g_verifier, g_valid[0], strlen(g_valid[0]), NOW_MS, NULL, &reason, NULL, 0), GH_EDENIED);
    assert_int_equal(reason, GH_JWT_UNKNOWN_KID);
  }
  assert_int_equal(gh_jwt_verifier_set_jwks(g_verifier, set[0], NOW_MS), GH_OK);

  pthread_t workers[THREADS], swapper;
  atomic_store(&g_stop, false);
  pthread_create(&swapper, NULL, swap_loop, set);
  for (int i = 0; i < THREADS; i++) pthread_create(&workers[i], NULL, verify_loop, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(workers[i], NULL);
  atomic_store(&g_stop, true);
  pthread_join(swapper, NULL);
  assert_int_equal(atomic_load(&g_failures), 0);
  assert_int_equal(atomic_load(&g_accepted) + atomic_load(&g_unknown_kid), THREADS * ROUNDS * 3);
  print_message("verifications while swapping: %d accepted, %d UNKNOWN_KID\n", atomic_load(&g_accepted),
                atomic_load(&g_unknown_kid));

  gh_jwt_verifier_free(g_verifier);
  gh_jwks_free(set[0]);
  gh_jwks_free(set[1]);
  for (int i = 0; i < 3; i++) free(g_valid[i]);
  free(g_invalid);
  free(pub);
  cJSON_Delete(sets);
  cJSON_Delete(tokens);
}

static gh_apikey_store *g_store;

static void *lookup_loop(void *arg) {
  (void)arg;
  for (int r = 0; r < 2000; r++) {
    char key[16];
    int n = snprintf(key, sizeof key, "key-%d", r % 100);
    int reason;
    int rc = gh_apikey_lookup(g_store, key, (size_t)n, 0, NULL, &reason);
    if (rc != GH_OK && !(rc == GH_EDENIED && reason == GH_APIKEY_REVOKED)) atomic_fetch_add(&g_failures, 1);
  }
  return NULL;
}

static void test_apikey_lookup_while_revoking(void **state) {
  (void)state;
  assert_int_equal(gh_apikey_store_new(&g_store), GH_OK);
  for (int i = 0; i < 100; i++) {
    char key[16];
    int n = snprintf(key, sizeof key, "key-%d", i);
    assert_int_equal(gh_apikey_store_add(g_store, key, (size_t)n, "c", NULL, 0), GH_OK);
  }
  assert_int_equal(gh_apikey_store_build(g_store), GH_OK);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, lookup_loop, NULL);
  for (int i = 0; i < 100; i += 2) {
    char key[16];
    int n = snprintf(key, sizeof key, "key-%d", i);
    assert_int_equal(gh_apikey_store_revoke(g_store, key, (size_t)n), GH_OK);
  }
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&g_failures), 0);
  int reason;
  assert_int_equal(gh_apikey_lookup(g_store, "key-4", 5, 0, NULL, &reason), GH_EDENIED);
  assert_int_equal(reason, GH_APIKEY_REVOKED);
  gh_apikey_store_free(g_store);
}

static gh_policy *g_policy;

static void *decide_loop(void *arg) {
  (void)arg;
  gh_policy_request *r;
  gh_policy_request_new(&r);
  for (int i = 0; i < 20000; i++) {
    gh_policy_request_reset(r);
    const char *sub = i & 1 ? "alice" : "bob";
    gh_policy_request_set_subject(r, sub, strlen(sub));
    gh_policy_request_set_action(r, "GET", 3);
    gh_policy_request_set_resource(r, "/orders/7", 9);
    int decision;
    const char *rule;
    if (gh_policy_decide(g_policy, r, &decision, &rule) != GH_OK || decision != (i & 1)) atomic_fetch_add(&g_failures, 1);
  }
  gh_policy_request_free(r);
  return NULL;
}

/* One compiled policy decides on several threads at once. */
static void test_policy_shared(void **state) {
  (void)state;
  size_t len;
  char *doc = t_read_vector("policy/example.json", &len);
  assert_int_equal(gh_policy_parse(&g_policy, doc, len, NULL, 0), GH_OK);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, decide_loop, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&g_failures), 0);
  gh_policy_free(g_policy);
  free(doc);
}

static gh_realm *g_realm;

static int custom_idp(void *ud, const char *cred, size_t len, char **json, size_t *json_len) {
  (void)ud;
  if (len != 6 || memcmp(cred, "secret", 6)) return 0;
  *json = strdup("{\"sub\":\"bob\"}");
  *json_len = strlen(*json);
  return 1;
}

static void *authenticate_loop(void *arg) {
  (void)arg;
  gh_auth_request *q;
  gh_auth_request_new(&q);
  gh_auth_request_set_api_key(q, "secret", 6);
  for (int i = 0; i < 3000; i++) {
    gh_identity *id = NULL;
    int reason;
    int rc = gh_realm_authenticate(g_realm, q, 0, &id, &reason, NULL, 0);
    /* the IdP comes and goes: either outcome, never anything else */
    if (!(rc == GH_OK && !strcmp(gh_identity_subject(id), "bob")) && !(rc == GH_EDENIED && reason == GH_AUTH_INVALID_API_KEY))
      atomic_fetch_add(&g_failures, 1);
    gh_identity_free(id);
  }
  gh_auth_request_free(q);
  return NULL;
}

/* Identity providers added and removed while other threads authenticate. */
static void test_realm_changes_under_load(void **state) {
  (void)state;
  assert_int_equal(gh_realm_new(&g_realm, "acme"), GH_OK);
  gh_idp *idp;
  assert_int_equal(gh_idp_new_custom(&idp, "legacy", custom_idp, NULL), GH_OK);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, authenticate_loop, NULL);
  for (int i = 0; i < 500; i++) {
    assert_int_equal(gh_realm_add_idp(g_realm, idp), GH_OK);
    assert_int_equal(gh_realm_remove_idp(g_realm, "legacy", 6), GH_OK);
  }
  assert_int_equal(gh_realm_remove_idp(g_realm, "legacy", 6), GH_ENOTFOUND);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&g_failures), 0);
  gh_idp_free(idp);
  gh_realm_free(g_realm);
}

static gh_limiter *g_limiter;
static atomic_int g_allowed;

static void *take_loop(void *arg) {
  (void)arg;
  for (int i = 0; i < 5000; i++) {
    int allowed;
    gh_limiter_take(g_limiter, "shared", 6, 1, 1000, &allowed, NULL, NULL); /* one instant */
    atomic_fetch_add(&g_allowed, allowed);
    char key[16];
    int n = snprintf(key, sizeof key, "k%d", i % 300);
    gh_limiter_take(g_limiter, key, (size_t)n, 1, 1000 + i, &allowed, NULL, NULL);
  }
  return NULL;
}

/* Threads sharing one key never get more than the limit between them. */
static void test_limiter_shared(void **state) {
  (void)state;
  assert_int_equal(gh_limiter_new(&g_limiter, "shared", GH_LIMIT_GCRA, 100, 1000, 250, 0), GH_OK);
  assert_int_equal(gh_limiter_build(g_limiter), GH_OK);
  atomic_store(&g_allowed, 0);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, take_loop, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&g_allowed), 250); /* exactly the burst, at one instant */
  gh_limiter_free(g_limiter);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verify_while_swapping_keys),
      cmocka_unit_test(test_apikey_lookup_while_revoking),
      cmocka_unit_test(test_policy_shared),
      cmocka_unit_test(test_realm_changes_under_load),
      cmocka_unit_test(test_limiter_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
