/* The GraphQL guard (issue 12): depth through fragments, aliases, root
 * fields, the operation that runs, and the gateway's GraphQL routes: the
 * document read from GET, JSON and application/graphql requests, the
 * operation as the policy's action and a limit key. Section numbers are the
 * GraphQL specification's (October 2021). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "gateway/graphql_guard.h"
#include "helpers.h"

static const gh__gql_limits LIMITS = {5, 3, 4, 4096};

static int check(const char *doc, const char *op, gh__gql_result *r) {
  return gh__gql_check(doc, strlen(doc), op, op ? strlen(op) : 0, &LIMITS, r);
}

static void test_lexing_and_counting(void **state) {
  (void)state;
  gh__gql_result r;
  /* §2.3 query shorthand; commas, comments and strings are not structure (§2.1.7, §2.9.4) */
  assert_int_equal(check("{ a, b # { { {\n c(x: \"}}}{{\", y: \"\"\"{{{\"\"\") }", NULL, &r), GH__GQL_OK);
  assert_string_equal(r.type, "query");
  assert_string_equal(r.operation, "");
  assert_int_equal(r.root_fields, 3);
  assert_int_equal(r.depth, 1);
  /* argument objects (§2.9.8) are values, not selections */
  assert_int_equal(check("query Q($v: In = {a: {b: {c: {d: {e: 1}}}}}) { f(x: {a: {b: {c: {d: 1}}}}) { g } }", NULL, &r),
                   GH__GQL_OK);
  assert_string_equal(r.operation, "Q");
  assert_int_equal(r.depth, 2);
  /* aliases (§2.7): counted, and the field behind an alias is one root field */
  assert_int_equal(check("{ a: f b: f c: f }", NULL, &r), GH__GQL_OK);
  assert_int_equal(r.aliases, 3);
  assert_int_equal(r.root_fields, 3);
  assert_int_equal(check("{ a: f b: f c: f d: f }", NULL, &r), GH__GQL_TOO_MANY_ALIASES);
  assert_int_equal(check("{ a b c d e }", NULL, &r), GH__GQL_TOO_MANY_ROOT_FIELDS);
  /* depth, lexically */
  assert_int_equal(check("{ a { b { c { d { e } } } } }", NULL, &r), GH__GQL_OK);
  assert_int_equal(r.depth, 5);
  assert_int_equal(check("{ a { b { c { d { e { f } } } } } }", NULL, &r), GH__GQL_TOO_DEEP);
  /* depth through fragment spreads (§2.8), wherever the fragment is written */
  assert_int_equal(check("query { a { ...F } } fragment F on T { b { c { ...G } } } fragment G on T { d { e { f } } }", NULL, &r),
                   GH__GQL_TOO_DEEP);
  assert_int_equal(check("fragment G on T { d } query { a { ...F } } fragment F on T { b { ...G } }", NULL, &r), GH__GQL_OK);
  assert_int_equal(r.depth, 3); /* { a { b { d } } } */
  /* inline fragments and directives (§2.8.2, §2.12) are not fields or spreads of fragments, and add no depth */
  assert_int_equal(check("{ a { ... on T { b } ... @include(if: true) { c { d } } } e @skip(if: false) }", NULL, &r), GH__GQL_OK);
  assert_int_equal(r.depth, 3);
  assert_int_equal(r.root_fields, 2);
  /* a fragment cycle is invalid (§5.5.2.2), as is an unknown fragment (§5.5.2.1) */
  assert_int_equal(check("{ ...A } fragment A on T { ...B } fragment B on T { ...A }", NULL, &r), GH__GQL_MALFORMED);
  assert_int_equal(check("{ ...Nope }", NULL, &r), GH__GQL_MALFORMED);
  /* malformed documents */
  const char *bad[] = {"", "{", "}", "{ a ", "{ a(x: 1 }", "{ \"open }", "blah { a }", "{ a } }", "{ .. }", "{ a: }"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (check(bad[i], NULL, &r) != GH__GQL_MALFORMED) fail_msg("accepted: %s", bad[i]);
  /* size */
  char big[5000];
  memset(big, ' ', sizeof big - 1);
  big[0] = '{', big[1] = 'a', big[sizeof big - 2] = '}', big[sizeof big - 1] = 0;
  assert_int_equal(check(big, NULL, &r), GH__GQL_TOO_LARGE);
}

static void test_operation_that_runs(void **state) {
  (void)state;
  gh__gql_result r;
  const char *two = "query GetOrder { order { id } } mutation CancelOrder { cancel }";
  /* §6.1: with several operations the request names one */
  assert_int_equal(check(two, NULL, &r), GH__GQL_NO_OPERATION);
  assert_int_equal(check(two, "CancelOrder", &r), GH__GQL_OK);
  assert_string_equal(r.type, "mutation");
  assert_string_equal(r.operation, "CancelOrder");
  assert_int_equal(check(two, "Nope", &r), GH__GQL_NO_OPERATION);
  assert_int_equal(check("subscription S { s }", NULL, &r), GH__GQL_OK);
  assert_string_equal(r.type, "subscription");
  assert_string_equal(r.operation, "S");
}

/* Against graphql-js (tests/vectors/graphql/cases.json, from tests/oracles/gen-graphql-fixtures.mjs):
 * every document it runs gets the same operation, root fields, aliases and
 * depth here; documents it refuses may pass the guard (which is no
 * validator: the server refuses them) but are counted. */
static void test_against_graphql_js(void **state) {
  (void)state;
  cJSON *v = t_load_json("graphql/cases.json");
  const gh__gql_limits open = {1000, 1000, 1000, 1 << 20};
  int compared = 0, lenient = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(v, "cases")) {
    const char *text = cJSON_GetObjectItem(c, "text")->valuestring, *op = cJSON_GetObjectItem(c, "operationName")->valuestring;
    gh__gql_result r;
    int rc = gh__gql_check(text, strlen(text), op, strlen(op), &open, &r);
    if (!cJSON_IsTrue(cJSON_GetObjectItem(c, "runs"))) {
      lenient += rc == GH__GQL_OK;
      continue;
    }
    if (rc) fail_msg("refused (%s) what graphql-js runs:\n%s", gh__gql_refusal_text(rc), text);
    assert_string_equal(r.type, cJSON_GetObjectItem(c, "type")->valuestring);
    assert_string_equal(r.operation, cJSON_GetObjectItem(c, "operation")->valuestring);
    if ((int)r.root_fields != cJSON_GetObjectItem(c, "rootFields")->valueint ||
        (int)r.aliases != cJSON_GetObjectItem(c, "aliases")->valueint ||
        (int)r.depth != cJSON_GetObjectItem(c, "depth")->valueint)
      fail_msg("root fields %u, aliases %u, depth %u; graphql-js: %d, %d, %d for:\n%s", r.root_fields, r.aliases, r.depth,
               cJSON_GetObjectItem(c, "rootFields")->valueint, cJSON_GetObjectItem(c, "aliases")->valueint,
               cJSON_GetObjectItem(c, "depth")->valueint, text);
    compared++;
  }
  assert_true(compared > 300);
  print_message("graphql-js: %d documents agree; %d it refuses pass the guard's lexer-level look\n", compared, lenient);
  cJSON_Delete(v);
}

static gh_gateway *gateway(void) {
  static const char *doc =
      "{\"gatehouse\":1,"
      "\"policies\":{\"ops\":{\"rules\":[{\"id\":\"reads\",\"effect\":\"allow\",\"subjects\":[\"*\"],"
      "\"actions\":[\"GetOrder\",\"query\"],\"resources\":[\"/graphql\"]}]}},"
      "\"limits\":{\"per-operation\":{\"algorithm\":\"fixed-window\",\"limit\":1,\"period\":60,\"key\":\"operation\","
      "\"memory\":65536}},"
      "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
      "\"routes\":[{\"methods\":[\"GET\",\"POST\"],\"path\":\"/graphql\",\"upstream\":\"u\",\"policy\":\"ops\","
      "\"graphql\":{\"max_depth\":3,\"max_aliases\":2}},"
      "{\"method\":\"POST\",\"path\":\"/limited\",\"upstream\":\"u\",\"limits\":[\"per-operation\"],"
      "\"graphql\":{\"operations\":[\"A\",\"B\"]}}]}";
  gh_gateway *gw;
  char errors[2048];
  assert_int_equal(gh_gateway_new(&gw), GH_OK);
  if (gh_gateway_load(gw, doc, strlen(doc), errors, sizeof errors)) fail_msg("%s", errors);
  return gw;
}

static int decide(gh_gateway *gw, gh_decision *d, const char *method, const char *path, const char *query,
                  const char *content_type, const char *body) {
  gh_header h[] = {{"Content-Type", content_type ? content_type : "", 12, content_type ? strlen(content_type) : 0}};
  gh_request r = {.method = method, .method_len = strlen(method), .path = path, .path_len = strlen(path),
                  .query = query, .query_len = query ? strlen(query) : 0, .headers = h, .n_headers = content_type ? 1 : 0,
                  .body = body, .body_len = body ? strlen(body) : 0, .client_ip = "10.0.0.1", .client_ip_len = 8};
  gh_gateway_decide(gw, &r, 1800000000000, d);
  int status = gh_decision_verdict(d) == GH_VERDICT_FORWARD ? 200 : gh_decision_status(d);
  gh_gateway_complete(gw, d, status, 1, 0, 0);
  return status;
}

static void test_gateway_routes(void **state) {
  (void)state;
  gh_gateway *gw = gateway();
  gh_decision *d;
  gh_decision_new(&d);
  /* GraphQL over HTTP: a POST's JSON body, with escapes in the query string */
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/json",
                          "{\"query\":\"query GetOrder($id: ID) { order(id: $id) { id \\\"x\\\" } }\",\"variables\":{}}"),
                   200);
  /* the operation is the policy's action: CancelOrder is not allowed by the rule (anonymous caller: 401) */
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/json",
                          "{\"query\":\"mutation CancelOrder { cancel }\",\"operationName\":\"CancelOrder\"}"),
                   401);
  assert_string_equal(gh_decision_reason(d), "authorize:deny");
  /* an anonymous query's action is its type */
  assert_int_equal(decide(gw, d, "GET", "/graphql", "query=%7B%20order%20%7B%20id%20%7D%20%7D", NULL, NULL), 200);
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/graphql", "{ a { b { c } } }"), 200);
  /* limits: 400 with a problem naming why */
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/graphql", "{ a { b { c { d } } } }"), 400);
  assert_string_equal(gh_decision_reason(d), "route:graphql");
  size_t len;
  const char *body = gh_decision_body(d, &len);
  assert_non_null(strstr(body, "nested too deep"));
  assert_non_null(strstr(body, "urn:gatehouse:problem:graphql"));
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/graphql", "{ x: a y: a z: a }"), 400);
  /* what cannot be read is refused */
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/json", "{\"query\": 7}"), 400);
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "text/plain", "{ a }"), 400);
  assert_int_equal(decide(gw, d, "POST", "/graphql", NULL, "application/json", NULL), 400); /* no body offered */
  assert_int_equal(decide(gw, d, "GET", "/graphql", "x=1", NULL, NULL), 400);
  /* an allow list of operations, and a limit per operation */
  assert_int_equal(decide(gw, d, "POST", "/limited", NULL, "application/graphql", "query C { a }"), 400);
  assert_int_equal(decide(gw, d, "POST", "/limited", NULL, "application/graphql", "query A { a }"), 200);
  assert_int_equal(decide(gw, d, "POST", "/limited", NULL, "application/graphql", "query A { a }"), 429);
  assert_int_equal(decide(gw, d, "POST", "/limited", NULL, "application/graphql", "query B { a }"), 200);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_lexing_and_counting), cmocka_unit_test(test_operation_that_runs),
                                     cmocka_unit_test(test_against_graphql_js),
                                     cmocka_unit_test(test_gateway_routes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
