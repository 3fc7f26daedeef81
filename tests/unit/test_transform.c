/* Request and response transformation (issue 5): header edits in their
 * order, templates over claims, parameters and the identity, credentials
 * stripped, path rewrite and query edits percent-encoded, header injection
 * refused, and configuration errors named by JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

static const char *header(const gh_transform_result *r, const char *name) {
  static char value[256];
  for (size_t i = 0; i < r->n_headers; i++)
    if (r->headers[i].name_len == strlen(name) && !strncmp(r->headers[i].name, name, r->headers[i].name_len)) {
      snprintf(value, sizeof value, "%.*s", (int)r->headers[i].value_len, r->headers[i].value);
      return value;
    }
  return NULL;
}

static gh_transform *parse(const char *json) {
  gh_transform *t;
  char msg[256];
  if (gh_transform_parse(&t, json, strlen(json), msg, sizeof msg)) fail_msg("%s", msg);
  return t;
}

static void test_request_edits(void **state) {
  (void)state;
  gh_transform *t = parse(
      "{\"request\":{\"headers\":{\"set\":{\"X-User-Id\":\"{claims.sub}\",\"X-Tenant\":\"{params.tenant}\",\"X-Plan\":\"{claims.plan.tier}-{claims.n}\"},"
      "\"add\":{\"X-Via\":\"gatehouse {{1}}\"},\"remove\":[\"x-debug\"],\"rename\":{\"X-Old\":\"X-New\"}},"
      "\"path\":\"/internal/{params.tenant}/orders/{params.id}\",\"query\":{\"add\":{\"by\":\"{subject}\"},\"remove\":[\"debug\"]}},"
      "\"response\":{\"headers\":{\"set\":{\"X-Frame-Options\":\"DENY\"},\"remove\":[\"Server\"]}}}");
  gh_identity *id = t_identity_with_claims("acme", "{\"sub\":\"alice smith\",\"plan\":{\"tier\":\"gold\"},\"n\":3}");
  /* the route's parameters */
  gh_router *router;
  char msg[256];
  gh_router_new(&router);
  gh_router_add(router, "GET", "/t/{tenant}/orders/{id}", NULL, NULL, msg, sizeof msg);
  gh_router_build(router);
  static gh_route_match m;
  const char *path = "/t/blue%2Bgreen/orders/7?debug=1&page=2";
  gh_router_match(router, "GET", 3, path, strlen(path), &m);
  assert_int_equal(m.status, 200);

  const gh_header in[] = {{"Authorization", "Bearer abc", 13, 10}, {"X-Debug", "1", 7, 1},        {"X-Old", "v", 5, 1},
                          {"x-user-id", "forged", 9, 6},          {"Accept", "*/*", 6, 3},        {"DPoP", "proof", 4, 5},
                          {"X-API-Key", "k", 9, 1}};
  gh_transform_input input = {in, 7, path, strlen(path), gh_identity_attr, id, &m};
  gh_transform_result out;
  assert_int_equal(gh_transform_request(t, &input, &out, msg, sizeof msg), GH_OK);
  assert_null(header(&out, "Authorization")); /* credentials stripped by default */
  assert_null(header(&out, "DPoP"));
  assert_null(header(&out, "X-API-Key"));
  assert_null(header(&out, "X-Debug"));
  assert_null(header(&out, "x-user-id")); /* the caller's own value is replaced, never kept */
  assert_string_equal(header(&out, "X-User-Id"), "alice smith");
  assert_string_equal(header(&out, "X-Tenant"), "blue+green");
  assert_string_equal(header(&out, "X-Plan"), "gold-3");
  assert_string_equal(header(&out, "X-Via"), "gatehouse {1}");
  assert_string_equal(header(&out, "X-New"), "v");
  assert_string_equal(header(&out, "Accept"), "*/*");
  assert_int_equal(out.n_headers, 6);
  assert_string_equal(out.path, "/internal/blue%2Bgreen/orders/7?page=2&by=alice%20smith");
  assert_int_equal(out.path_len, strlen(out.path));
  gh_transform_result_free(&out);

  const gh_header resp[] = {{"Server", "nginx", 6, 5}, {"Content-Type", "text/plain", 12, 10}};
  gh_transform_input rin = {resp, 2, NULL, 0, NULL, NULL, NULL};
  assert_int_equal(gh_transform_response(t, &rin, &out, msg, sizeof msg), GH_OK);
  assert_null(header(&out, "Server"));
  assert_string_equal(header(&out, "X-Frame-Options"), "DENY");
  assert_string_equal(header(&out, "Content-Type"), "text/plain");
  assert_null(out.path);
  gh_transform_result_free(&out);
  gh_router_free(router);
  gh_identity_free(id);
  gh_transform_free(t);
}

/* A claim carrying CR LF cannot inject a header; stripping can be turned off;
 * absent variables render empty. */
static void test_injection_and_options(void **state) {
  (void)state;
  gh_transform *t = parse("{\"request\":{\"headers\":{\"set\":{\"X-Name\":\"{claims.name}\",\"X-Missing\":\"[{claims.nope}]\"}},\"strip_credentials\":false}}");
  gh_identity *evil = t_identity_with_claims("acme", "{\"sub\":\"m\",\"name\":\"x\\r\\nX-Admin: true\"}");
  const gh_header in[] = {{"Authorization", "Bearer abc", 13, 10}};
  gh_transform_input input = {in, 1, "/a", 2, gh_identity_attr, evil, NULL};
  gh_transform_result out;
  char msg[256];
  assert_int_equal(gh_transform_request(t, &input, &out, msg, sizeof msg), GH_EDENIED);
  assert_non_null(strstr(msg, "X-Name"));
  gh_identity *good = t_identity_with_claims("acme", "{\"sub\":\"m\",\"name\":\"Ann\"}");
  input.attr_ud = good;
  assert_int_equal(gh_transform_request(t, &input, &out, msg, sizeof msg), GH_OK);
  assert_string_equal(header(&out, "Authorization"), "Bearer abc"); /* kept: stripping is off */
  assert_string_equal(header(&out, "X-Missing"), "[]");
  assert_string_equal(out.path, "/a"); /* unchanged */
  gh_transform_result_free(&out);
  gh_identity_free(evil), gh_identity_free(good);
  gh_transform_free(t);
}

static void test_configuration_errors(void **state) {
  (void)state;
  const struct {
    const char *json, *where;
  } bad[] = {
      {"{\"request\":{\"headers\":{\"set\":{\"X-A\":\"{claim.sub}\"}}}}", "request.headers.set.X-A"},
      {"{\"request\":{\"headers\":{\"set\":{\"X-A\":\"{claims.sub\"}}}}", "request.headers.set.X-A"},
      {"{\"request\":{\"headers\":{\"set\":{\"X A\":\"v\"}}}}", "request.headers.set.X A"},
      {"{\"request\":{\"headers\":{\"rename\":{\"X-A\":\"bad name\"}}}}", "request.headers.rename.X-A"},
      {"{\"request\":{\"path\":\"orders\"}}", "request.path"},
      {"{\"request\":{\"query\":{\"add\":{\"a&b\":\"1\"}}}}", "request.query.add.a&b"},
      {"{\"request\":{\"strip_credentials\":1}}", "request.strip_credentials"},
      {"{\"response\":{\"path\":\"/x\"}}", "response.path"},
      {"{\"requests\":{}}", "$.requests"},
      {"{\"request\":{\"headers\":{\"remove\":\"X-A\"}}}", "request.headers.remove"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gh_transform *t;
    char msg[256] = "";
    assert_int_equal(gh_transform_parse(&t, bad[i].json, strlen(bad[i].json), msg, sizeof msg), GH_EPARSE);
    assert_null(t);
    if (!strstr(msg, bad[i].where)) fail_msg("%s: message '%s' does not name %s", bad[i].json, msg, bad[i].where);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_edits),
      cmocka_unit_test(test_injection_and_options),
      cmocka_unit_test(test_configuration_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
