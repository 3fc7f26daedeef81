/* JWK / JWK Set parsing rules (RFC 7517, RFC 7518 section 6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

static int parse(const char *json, gh_jwks **out) {
  char msg[128];
  return gh_jwks_parse(out, json, strlen(json), msg, sizeof msg);
}

/* The public key of a Wycheproof json_web_key_test group, by its comment. */
static char *wycheproof_key(const char *comment) {
  cJSON *doc = t_load_json("wycheproof/json_web_key_test.json"), *g;
  char *out = NULL;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
    if (strcmp(cJSON_GetObjectItem(g, "comment")->valuestring, comment) != 0) continue;
    cJSON *k = cJSON_GetObjectItem(g, "public");
    out = cJSON_PrintUnformatted(k ? k : cJSON_GetObjectItem(g, "private"));
    break;
  }
  cJSON_Delete(doc);
  assert_non_null(out);
  return out;
}

/* Weak RSA keys are skipped, counted, and never verify (RFC 8725 3.5, CVE-2017-15361). */
static void test_weak_rsa_keys_skipped(void **state) {
  (void)state;
  static const char *const groups[] = {"keysize_too_small", "jws_rsa_roca_key", "exponentOne"};
  for (size_t i = 0; i < 3; i++) {
    char *key = wycheproof_key(groups[i]);
    gh_jwks *set;
    assert_int_equal(parse(key, &set), GH_OK);
    if (gh_jwks_count(set) != 0) fail_msg("%s was accepted", groups[i]);
    assert_int_equal(gh_jwks_skipped(set), 1);
    gh_jwks_free(set);
    free(key);
  }
  /* the minimum is configurable: a 1024-bit key passes a 1024-bit floor */
  char *small = wycheproof_key("keysize_too_small");
  gh_jwks_limits lim = {0, 0, 1024};
  gh_jwks *set;
  assert_int_equal(gh_jwks_parse_limited(&set, small, strlen(small), &lim, NULL, 0), GH_OK);
  assert_int_equal(gh_jwks_count(set), 1);
  gh_jwks_free(set);
  free(small);
}

static void test_unusable_keys_skipped(void **state) {
  (void)state;
  static const char *const skipped[] = {
      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", /* unknown kty */
      "{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\",\"use\":\"enc\"}",   /* RFC 7517 4.2 */
      "{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\",\"key_ops\":[\"encrypt\"]}", /* 4.3 */
      "{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\",\"alg\":\"A128KW\"}", /* not JWS */
      "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"alg\":\"HS256\"}", /* 6 bytes < 32 (RFC 7518 3.2) */
      "{\"kty\":\"oct\",\"k\":\"\"}",                            /* empty */
      "{\"kty\":\"oct\",\"k\":\"c2VjcmV0==\"}",                  /* padded base64url */
      "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\"}", /* short coordinates (RFC 7518 6.2.1.2) */
      "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AQ\",\"y\":\"AQ\"}",
      "{\"kty\":\"RSA\",\"alg\":\"ES256\",\"n\":\"AQ\",\"e\":\"AQAB\"}", /* alg of another kty */
      "{\"kty\":\"RSA\",\"e\":\"AQAB\"}",                                 /* missing n */
      "\"not a key\"",
  };
  for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
    char json[512];
    snprintf(json, sizeof json, "{\"keys\":[%s]}", skipped[i]);
    gh_jwks *set;
    assert_int_equal(parse(json, &set), GH_OK);
    if (gh_jwks_count(set) != 0) fail_msg("accepted %s", skipped[i]);
    assert_int_equal(gh_jwks_skipped(set), 1);
    gh_jwks_free(set);
  }
  /* Wycheproof's point not on the curve, wrong curve, AES keys */
  static const char *const groups[] = {"invalid_point", "wrong_curve", "invalid_aes_gcm_key", "invalid_aes_kw_key"};
  for (size_t i = 0; i < 4; i++) {
    char *key = wycheproof_key(groups[i]);
    gh_jwks *set;
    int rc = parse(key, &set);
    assert_true(rc == GH_OK || rc == GH_EPARSE);
    if (rc == GH_OK) {
      if (gh_jwks_count(set) != 0) fail_msg("%s accepted", groups[i]);
      gh_jwks_free(set);
    }
    free(key);
  }
}

static void test_set_level_errors(void **state) {
  (void)state;
  gh_jwks *set = NULL;
  /* mixing symmetric and asymmetric keys invites algorithm confusion (RFC 8725 2.1) */
  char *mixed = wycheproof_key("jws_mixedSymmetryKeyset");
  assert_int_equal(parse(mixed, &set), GH_EKEY);
  assert_null(set);
  free(mixed);
  assert_int_equal(parse("{\"keys\":{}}", &set), GH_EPARSE);
  assert_int_equal(parse("[1,2]", &set), GH_EPARSE);
  assert_int_equal(parse("{\"keys\":[],\"keys\":[]}", &set), GH_EPARSE); /* duplicate member */
  assert_int_equal(parse("{\"keys\":[]}", &set), GH_OK);
  assert_int_equal(gh_jwks_count(set), 0);
  gh_jwks_free(set);
  /* limits */
  gh_jwks_limits lim = {0, 2, 0};
  const char *three = "{\"keys\":[{},{},{}]}";
  assert_int_equal(gh_jwks_parse_limited(&set, three, strlen(three), &lim, NULL, 0), GH_ETOOBIG);
  gh_jwks_limits small = {8, 0, 0};
  assert_int_equal(gh_jwks_parse_limited(&set, three, strlen(three), &small, NULL, 0), GH_ETOOBIG);
  assert_int_equal(gh_jwks_parse(NULL, three, 3, NULL, 0), GH_EINVAL);
  gh_jwks_free(NULL);
  assert_int_equal(gh_jwks_default_max_keys(), GH_JWKS_DEFAULT_MAX_KEYS);
}

static void test_jose_sets_parse(void **state) {
  (void)state;
  size_t len;
  char *json = t_read_vector("jose/jwks.json", &len);
  cJSON *sets = cJSON_Parse(json);
  char *pub = cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "public"));
  gh_jwks *set;
  assert_int_equal(parse(pub, &set), GH_OK);
  assert_int_equal(gh_jwks_count(set), 9); /* RS, PS, ES x 3 */
  assert_int_equal(gh_jwks_skipped(set), 0);
  gh_jwks_free(set);
  free(pub);
  cJSON_Delete(sets);
  free(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_weak_rsa_keys_skipped),
      cmocka_unit_test(test_unusable_keys_skipped),
      cmocka_unit_test(test_set_level_errors),
      cmocka_unit_test(test_jose_sets_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
