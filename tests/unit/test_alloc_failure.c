/* Allocation failure (SQLite faultsim style): fail the Nth allocation for
 * N = 1, 2, ... until an operation completes without reaching N. Every run
 * must end in GH_OK or GH_ENOMEM (for verification: a decision or GH_ENOMEM),
 * and leave no allocation of the library's behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

#define NOW_MS 1700000000000LL

static char *g_public, *g_oct, *g_tokens[4];

static int setup(void **state) {
  (void)state;
  cJSON *sets = t_load_json("jose/jwks.json"), *tokens = t_load_json("jose/tokens.json"), *c;
  g_public = cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "public"));
  g_oct = cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "oct-HS256"));
  static const char *const wanted[] = {"RS256 valid", "ES256 valid", "PS256 valid", "HS256 valid"};
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(tokens, "cases")) {
    for (int i = 0; i < 4; i++)
      if (!strcmp(cJSON_GetObjectItem(c, "name")->valuestring, wanted[i]))
        g_tokens[i] = strdup(cJSON_GetObjectItem(c, "token")->valuestring);
  }
  cJSON_Delete(sets);
  cJSON_Delete(tokens);
  t_alloc_install();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  t_alloc_uninstall();
  free(g_public);
  free(g_oct);
  for (int i = 0; i < 4; i++) free(g_tokens[i]);
  return 0;
}

/* Runs op under failure injection; op returns the library's result code. */
static void faultsim(const char *what, int (*op)(void)) {
  long n;
  for (n = 1; n < 100000; n += t_faultsim_step()) {
    t_alloc_fail_at(n);
    int rc = op();
    long made = t_alloc_count();
    if (rc != GH_OK && rc != GH_ENOMEM) fail_msg("%s: failing allocation %ld gave %s", what, n, gh_err_name(rc));
    if (t_alloc_outstanding() != 0) fail_msg("%s: failing allocation %ld leaked %ld", what, n, t_alloc_outstanding());
    if (made < n) break; /* ran to completion without reaching the failure */
  }
  t_alloc_fail_at(0);
  assert_true(n > 1); /* the operation allocates, so failures were exercised */
  assert_int_equal(op(), GH_OK); /* and succeeds when nothing fails */
  assert_int_equal(t_alloc_outstanding(), 0);
}

static int parse_public(void) {
  gh_jwks *s = NULL;
  int rc = gh_jwks_parse(&s, g_public, strlen(g_public), NULL, 0);
  gh_jwks_free(s);
  return rc;
}

static int verify_all(void) {
  gh_jwks *pub = NULL, *oct = NULL;
  gh_jwt_verifier *v = NULL, *h = NULL;
  int rc = gh_jwks_parse(&pub, g_public, strlen(g_public), NULL, 0);
  if (!rc) rc = gh_jwks_parse(&oct, g_oct, strlen(g_oct), NULL, 0);
  if (!rc) rc = gh_jwt_verifier_new(&v);
  if (!rc) rc = gh_jwt_verifier_add_issuer(v, "https://issuer.example", 22);
  if (!rc) rc = gh_jwt_verifier_set_cache(v, 64, 1000);
  if (!rc) rc = gh_jwt_verifier_build(v);
  if (!rc) rc = gh_jwt_verifier_set_jwks(v, pub, NOW_MS);
  if (!rc) rc = gh_jwt_verifier_new(&h);
  if (!rc) rc = gh_jwt_verifier_build(h);
  if (!rc) rc = gh_jwt_verifier_set_jwks(h, oct, NOW_MS);
  for (int i = 0; i < 4 && !rc; i++) {
    gh_principal *p = NULL;
    int reason;
    rc = gh_jwt_verify(i == 3 ? h : v, g_tokens[i], strlen(g_tokens[i]), NOW_MS, &p, &reason, NULL, 0);
    if (rc == GH_OK) {
      const char *sub = NULL;
      int c = gh_principal_claim_string(p, "sub", 3, &sub); /* builds the claims tree */
      if (c == GH_ENOMEM) rc = c;
      else if (c != GH_OK || strcmp(sub, "alice") != 0) rc = GH_EINVAL;
    }
    gh_principal_free(p);
  }
  gh_jwt_verifier_free(v);
  gh_jwt_verifier_free(h);
  gh_jwks_free(pub);
  gh_jwks_free(oct);
  return rc;
}

static int sign_hs256(void) {
  gh_signing_key *k = NULL;
  char *token = NULL;
  int rc = gh_signing_key_from_secret(&k, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32);
  if (!rc) rc = gh_jwt_sign(k, "HS256", "kid", "{\"sub\":\"a\"}", 11, &token, NULL);
  gh_free(token);
  gh_signing_key_free(k);
  return rc;
}

static int apikeys(void) {
  gh_apikey_store *s = NULL;
  int rc = gh_apikey_store_new(&s);
  for (int i = 0; i < 40 && !rc; i++) {
    char key[16];
    int n = snprintf(key, sizeof key, "key-%d", i);
    rc = gh_apikey_store_add(s, key, (size_t)n, "consumer", "a b", 0);
  }
  if (!rc) rc = gh_apikey_store_build(s);
  if (!rc) rc = gh_apikey_lookup(s, "key-7", 5, 0, NULL, NULL);
  gh_apikey_store_free(s);
  return rc;
}

static int oidc(void) {
  const char *doc = "{\"issuer\":\"https://a.example\",\"jwks_uri\":\"https://a.example/jwks\"}";
  gh_oidc_metadata *m = NULL;
  int rc = gh_oidc_metadata_parse(&m, doc, strlen(doc), "https://a.example", NULL, 0);
  gh_oidc_metadata_free(m);
  return rc;
}

static int router(void) {
  static const char *const routes[] = {"/users/{id:int}", "/users/{name}/posts", "/files/{name}.{ext}",
                                       "/static/{rest*}", "/caf\xc3\xa9/{x}", "/a/b/c/d"};
  gh_router *r = NULL;
  int rc = gh_router_new(&r);
  if (!rc) rc = gh_router_set_trailing_slash(r, GH_ROUTER_SLASH_IGNORE);
  for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !rc; i++)
    rc = gh_router_add(r, "GET", routes[i], NULL, NULL, NULL, 0);
  if (!rc) rc = gh_router_build(r);
  gh_route_match *m = malloc(gh_route_match_size());
  if (!rc) rc = gh_router_match(r, "GET", 3, "/files/a.b.c", 12, m);
  if (!rc && (m->status != 200 || m->n_params != 2)) rc = GH_EINVAL;
  if (!rc) rc = gh_router_match(r, "GET", 3, "/caf%C3%A9/%7a/", 15, m);
  if (!rc && m->status != 200) rc = GH_EINVAL;
  free(m);
  gh_router_free(r);
  return rc;
}

static int transform(void) {
  const char *doc = "{\"request\":{\"headers\":{\"set\":{\"x-user\":\"{subject}\"},\"remove\":[\"x-debug\"],"
                    "\"rename\":{\"x-a\":\"x-b\"}},\"path\":\"/v2/{params.id}\",\"query\":{\"add\":{\"t\":\"{params.id}\"}}},"
                    "\"response\":{\"headers\":{\"add\":{\"x-gw\":\"gatehouse\"}}}}";
  gh_transform *t = NULL;
  int rc = gh_transform_parse(&t, doc, strlen(doc), NULL, 0);
  gh_route_match *m = calloc(1, gh_route_match_size());
  m->status = 200, m->name = "r", m->n_params = 1;
  m->params[0] = (gh_route_param){"id", "a b", 3};
  gh_header headers[] = {{"x-debug", "1", 7, 1}, {"x-a", "v", 3, 1}, {"authorization", "Bearer x", 13, 8}};
  gh_transform_input in = {headers, 3, "/v1/x?keep=1", 12, NULL, NULL, m};
  gh_transform_result res;
  if (!rc) rc = gh_transform_request(t, &in, &res, NULL, 0);
  if (!rc) {
    if (res.path_len != 24 || memcmp(res.path, "/v2/a%20b?keep=1&t=a%20b", 24)) rc = GH_EINVAL;
    gh_transform_result_free(&res);
  }
  if (!rc) rc = gh_transform_response(t, &in, &res, NULL, 0);
  if (!rc) gh_transform_result_free(&res);
  free(m);
  gh_transform_free(t);
  return rc;
}

static void test_jwks_parse(void **s) { (void)s, faultsim("jwks parse", parse_public); }
static void test_verify(void **s) { (void)s, faultsim("verify", verify_all); }
static void test_sign(void **s) { (void)s, faultsim("sign", sign_hs256); }
static void test_apikeys(void **s) { (void)s, faultsim("apikeys", apikeys); }
static void test_oidc(void **s) { (void)s, faultsim("oidc", oidc); }
static void test_router(void **s) { (void)s, faultsim("router", router); }
static void test_transform(void **s) { (void)s, faultsim("transform", transform); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jwks_parse), cmocka_unit_test(test_verify), cmocka_unit_test(test_sign),
      cmocka_unit_test(test_apikeys),    cmocka_unit_test(test_oidc),   cmocka_unit_test(test_router),
      cmocka_unit_test(test_transform),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
