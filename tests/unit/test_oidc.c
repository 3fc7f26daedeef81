/* OIDC discovery / RFC 8414 metadata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"

#define ISSUER "https://id.example.com/realms/acme"

static int parse(const char *json, gh_oidc_metadata **m) {
  char msg[256];
  return gh_oidc_metadata_parse(m, json, strlen(json), ISSUER, msg, sizeof msg);
}

static void test_keycloak_like(void **state) {
  (void)state;
  const char *doc =
      "{\"issuer\":\"" ISSUER "\",\"jwks_uri\":\"" ISSUER "/protocol/openid-connect/certs\","
      "\"token_endpoint\":\"" ISSUER "/protocol/openid-connect/token\","
      "\"introspection_endpoint\":\"" ISSUER "/protocol/openid-connect/token/introspect\","
      "\"id_token_signing_alg_values_supported\":[\"RS256\",\"ES256\"]}";
  gh_oidc_metadata *m;
  assert_int_equal(parse(doc, &m), GH_OK);
  assert_string_equal(gh_oidc_issuer(m), ISSUER);
  assert_string_equal(gh_oidc_jwks_uri(m), ISSUER "/protocol/openid-connect/certs");
  assert_non_null(strstr(gh_oidc_introspection_endpoint(m), "introspect"));
  assert_true(gh_oidc_supports_alg(m, "ES256"));
  assert_false(gh_oidc_supports_alg(m, "HS256"));
  gh_oidc_metadata_free(m);
}

static void test_rejections(void **state) {
  (void)state;
  gh_oidc_metadata *m;
  /* RFC 8414 3.3: the issuer must be identical to the one the host asked for */
  assert_int_equal(parse("{\"issuer\":\"" ISSUER "/\",\"jwks_uri\":\"https://a/j\"}", &m), GH_EDENIED);
  assert_int_equal(parse("{\"issuer\":\"https://evil.example\",\"jwks_uri\":\"https://a/j\"}", &m), GH_EDENIED);
  assert_int_equal(parse("{\"issuer\":\"" ISSUER "\"}", &m), GH_EPARSE);                         /* no jwks_uri */
  assert_int_equal(parse("{\"issuer\":\"" ISSUER "\",\"jwks_uri\":\"http://a/j\"}", &m), GH_EPARSE); /* not https */
  assert_int_equal(parse("{\"issuer\":\"" ISSUER "\",\"jwks_uri\":7}", &m), GH_EPARSE);
  assert_int_equal(parse("{\"issuer\":\"" ISSUER "\",\"issuer\":\"" ISSUER "\"}", &m), GH_EPARSE); /* duplicate */
  assert_int_equal(parse("[]", &m), GH_EPARSE);
  assert_null(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_keycloak_like), cmocka_unit_test(test_rejections)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
