/* The gateway pipeline (issue 12) over the example configuration
 * (examples/gateway/gateway.json) with tokens made by npm `jose`
 * (tests/vectors/gateway/tokens.json): each stage's outcome, each denial's
 * headers and body against its RFC, lifecycle headers, hooks, reloads while
 * other threads decide, and configuration errors located by path and
 * line:column. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "gateway_helpers.h"
#include "helpers.h"

static t_gw_example ex;
static char *example;
static size_t example_len;
static int64_t NOW;

static const char *token(const char *who) { return t_gw_example_token(&ex, who); }

static int setup(void **state) {
  (void)state;
  t_gw_example_load(&ex);
  example = ex.config, example_len = ex.config_len, NOW = ex.now_ms;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  t_gw_example_free(&ex);
  return 0;
}

static const char *upstream_header(const gh_decision *d, const char *name) {
  static char value[1024];
  size_t n = 0;
  const gh_header *h = gh_decision_upstream_headers(d, &n);
  for (size_t i = 0; i < n; i++)
    if (h[i].name_len == strlen(name) && !strncasecmp(h[i].name, name, h[i].name_len)) {
      snprintf(value, sizeof value, "%.*s", (int)h[i].value_len, h[i].value);
      return value;
    }
  return NULL;
}

/* The body as JSON, checked to be an RFC 9457 problem for status. */
static cJSON *problem(const gh_decision *d, int status) {
  assert_string_equal(t_gw_header(d, "Content-Type"), "application/problem+json"); /* RFC 9457 §3 */
  size_t len;
  const char *body = gh_decision_body(d, &len);
  cJSON *p = cJSON_ParseWithLength(body, len);
  assert_non_null(p);
  /* RFC 9457 §3.1: type (a URI reference), title, status equal to the response's, detail */
  assert_true(cJSON_IsString(cJSON_GetObjectItem(p, "type")));
  assert_true(cJSON_IsString(cJSON_GetObjectItem(p, "title")));
  assert_int_equal((int)cJSON_GetObjectItem(p, "status")->valuedouble, status);
  return p;
}

static const char *bearer(const char *who) {
  static char h[2048];
  snprintf(h, sizeof h, "Authorization: Bearer %s", token(who));
  return h;
}

/* ---- the pipeline over the example configuration ---- */

static void test_forward(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  t_req q;
  assert_int_equal(gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7?expand=items", bearer("viewer"),
                                              "X-Debug: 1", "Accept: application/json", NULL),
                                     NOW, d),
                   GH_OK);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_int_equal(gh_decision_status(d), 0);
  assert_string_equal(gh_decision_route(d), "get-order");
  assert_string_equal(gh_decision_api(d), "orders");
  assert_string_equal(gh_decision_api_version(d), "v2");
  assert_string_equal(gh_decision_subject(d), "alice");
  assert_string_equal(gh_decision_reason(d), "forward");
  assert_int_equal(gh_decision_stage(d), -1);
  const char *target = gh_decision_target(d);
  assert_true(!strcmp(target, "http://127.0.0.1:9001") || !strcmp(target, "http://127.0.0.1:9002"));
  size_t len;
  assert_string_equal(gh_decision_upstream_path(d, &len), "/v2/orders/7?expand=items");
  /* the transformation: the caller as a header, credentials and debug headers gone */
  assert_string_equal(upstream_header(d, "X-User-Id"), "alice");
  assert_null(upstream_header(d, "Authorization"));
  assert_null(upstream_header(d, "X-Debug"));
  assert_string_equal(upstream_header(d, "Accept"), "application/json");
  /* draft-ietf-httpapi-ratelimit-headers: the policy and the state on a success too */
  assert_string_equal(t_gw_header(d, "RateLimit-Policy"), "\"per-caller\";q=20;w=1");
  assert_non_null(strstr(t_gw_header(d, "RateLimit"), "\"per-caller\";r="));
  /* a generated request id: 32 hex digits */
  assert_int_equal(strlen(gh_decision_request_id(d)), 32);
  /* the explanation names every stage in order */
  char explain[4096];
  assert_int_equal(gh_decision_explain(d, explain, sizeof explain, &len), GH_OK);
  cJSON *e = cJSON_Parse(explain);
  assert_non_null(e);
  const char *order[] = {"route", "route", "authenticate", "authorize", "limit", "transform", "upstream"};
  const cJSON *stages = cJSON_GetObjectItem(e, "stages");
  assert_int_equal(cJSON_GetArraySize(stages), 7);
  for (int i = 0; i < 7; i++)
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(stages, i), "stage")->valuestring, order[i]);
  assert_non_null(strstr(explain, "rule read-orders"));
  cJSON_Delete(e);
  /* too small a buffer says how much is needed */
  size_t need = 0;
  assert_int_equal(gh_decision_explain(d, explain, 10, &need), GH_ETOOBIG);
  assert_int_equal(need, len);
  gh_gateway_complete(gw, d, 200, 12, 100, 2000);
  gh_gateway_complete(gw, d, 200, 12, 100, 2000); /* a second call is a no-op */
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static void test_authentication_denials(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  /* RFC 6750 §3.1: no credentials → a challenge without an error code */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_RESPOND);
  assert_int_equal(gh_decision_status(d), 401);
  assert_int_equal(gh_decision_stage(d), GH_STAGE_AUTHENTICATE);
  assert_string_equal(t_gw_header(d, "WWW-Authenticate"), "Bearer realm=\"staff\"");
  cJSON *p = problem(d, 401);
  assert_string_equal(cJSON_GetObjectItem(p, "request_id")->valuestring, gh_decision_request_id(d));
  cJSON_Delete(p);
  /* RFC 6750 §3.1 invalid_token: expired (RFC 7519 §4.1.4), audience (§4.1.3), issuer (§4.1.1), signature */
  const char *refused[] = {"expired", "wrong_audience", "wrong_issuer", "foreign_key"};
  for (size_t i = 0; i < 4; i++) {
    gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", bearer(refused[i]), NULL), NOW, d);
    assert_int_equal(gh_decision_status(d), 401);
    const char *challenge = t_gw_header(d, "WWW-Authenticate");
    assert_non_null(challenge);
    assert_non_null(strstr(challenge, "Bearer realm=\"staff\""));
    assert_non_null(strstr(challenge, "error=\"invalid_token\""));
    p = problem(d, 401);
    cJSON_Delete(p);
    assert_null(gh_decision_target(d));
  }
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* gh_gateway_authenticate: a host's own endpoint authenticates as a route of the realm would. */
static void test_authenticate_without_route(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  assert_int_equal(gh_gateway_decide_may_wait(gw), 0); /* local limits, keys in the document: nothing waits */
  t_req q;
  gh_identity *id = NULL;
  int reason = -1;
  char challenge[256];
  /* any path: nothing is routed */
  assert_int_equal(gh_gateway_authenticate(gw, "staff", t_gw_request(&q, "10.1.2.3", "POST", "/portal/api/keys",
                                                                     bearer("editor"), NULL),
                                           NOW, &id, &reason, challenge, sizeof challenge),
                   GH_OK);
  assert_string_equal(gh_identity_realm(id), "staff");
  assert_non_null(gh_identity_subject(id));
  assert_true(gh_identity_role_count(id) >= 1);
  gh_identity_free(id);
  /* RFC 6750 §3.1: no credentials → GH_EDENIED with a challenge that has no error code */
  assert_int_equal(gh_gateway_authenticate(gw, "staff", t_gw_request(&q, "10.1.2.3", "GET", "/x", NULL), NOW, &id,
                                           &reason, challenge, sizeof challenge),
                   GH_EDENIED);
  assert_null(id);
  assert_int_equal(reason, GH_AUTH_NO_CREDENTIALS);
  assert_string_equal(challenge, "Bearer realm=\"staff\"");
  /* an expired token (RFC 7519 §4.1.4) is refused with invalid_token */
  assert_int_equal(gh_gateway_authenticate(gw, "staff", t_gw_request(&q, "10.1.2.3", "GET", "/x", bearer("expired"), NULL),
                                           NOW, &id, &reason, challenge, sizeof challenge),
                   GH_EDENIED);
  assert_int_equal(gh_auth_reason_status(reason), 401);
  assert_non_null(strstr(challenge, "error=\"invalid_token\""));
  /* a token of one realm is nothing to another: partners reads API keys only */
  assert_int_equal(gh_gateway_authenticate(gw, "partners", t_gw_request(&q, "10.1.2.3", "GET", "/x", bearer("editor"), NULL),
                                           NOW, &id, &reason, NULL, 0),
                   GH_EDENIED);
  assert_null(id);
  /* and that realm's API-key header works */
  assert_int_equal(gh_gateway_authenticate(gw, "partners", t_gw_request(&q, "10.1.2.3", "GET", "/x",
                                                                        "X-API-Key: gh_demo_partner_key_DO_NOT_USE", NULL),
                                           NOW, &id, &reason, NULL, 0),
                   GH_OK);
  assert_string_equal(gh_identity_subject(id), "acme-partner");
  gh_identity_free(id);
  /* misuse */
  assert_int_equal(gh_gateway_authenticate(gw, "nobody", t_gw_request(&q, "10.1.2.3", "GET", "/x", bearer("editor"), NULL),
                                           NOW, &id, &reason, NULL, 0),
                   GH_ENOTFOUND);
  assert_int_equal(gh_gateway_authenticate(gw, NULL, &q.r, NOW, &id, &reason, NULL, 0), GH_EINVAL);
  assert_int_equal(gh_gateway_authenticate(gw, "staff", &q.r, NOW, NULL, &reason, NULL, 0), GH_EINVAL);
  gh_gateway *empty = NULL;
  gh_gateway_new(&empty);
  assert_int_equal(gh_gateway_authenticate(empty, "staff", &q.r, NOW, &id, &reason, NULL, 0), GH_EMISUSE);
  gh_gateway_free(empty);
  gh_gateway_free(gw);
}

static void test_authorization(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  /* the policy's resource is the path within the API version */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "DELETE", "/v2/orders/7", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 403);
  assert_int_equal(gh_decision_stage(d), GH_STAGE_AUTHORIZE);
  assert_string_equal(gh_decision_reason(d), "authorize:deny");
  assert_null(t_gw_header(d, "WWW-Authenticate")); /* a known caller: credentials would not help */
  cJSON_Delete(problem(d, 403));
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "DELETE", "/v2/orders/7", bearer("admin"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  /* deny overrides: an admin from outside 10/8 */
  gh_gateway_decide(gw, t_gw_request(&q, "203.0.113.9", "DELETE", "/v2/orders/7", bearer("admin"), NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 403);
  char explain[4096];
  gh_decision_explain(d, explain, sizeof explain, NULL);
  assert_non_null(strstr(explain, "no-delete-offsite"));
  /* inheritance: an editor may write, a viewer may not */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "POST", "/v2/orders", bearer("editor"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "POST", "/v2/orders", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 403);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static void test_api_keys_and_scopes(void **state) {
  (void)state;
  /* the example's partner key, and a key without the scope its route requires */
  const char *doc =
      "{\"gatehouse\":1,\"realms\":{\"partners\":{\"api_key_header\":\"X-API-Key\",\"providers\":[{\"name\":\"keys\","
      "\"type\":\"api_key\",\"keys\":[{\"sha256\":\"b72d9bfa943db001c84b872e9207870deb161da2b95c6013cb5d420c11d0d7e0\","
      "\"consumer\":\"acme\",\"scopes\":\"catalog:read\"},{\"sha256\":"
      "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"consumer\":\"tester\"}]}]}},"
      "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
      "\"routes\":[{\"method\":\"GET\",\"path\":\"/products\",\"realm\":\"partners\",\"scopes\":[\"catalog:read\"],"
      "\"upstream\":\"u\"}]}";
  gh_gateway *gw = t_gw_load(doc);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.1", "GET", "/products", "X-API-Key: gh_demo_partner_key_DO_NOT_USE", NULL),
                    NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(gh_decision_subject(d), "acme");
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.1", "GET", "/products", "X-API-Key: wrong", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 401);
  /* sha256("test") is the second key: known, but without the scope: RFC 6750 §3.1 insufficient_scope, 403 */
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.1", "GET", "/products", "X-API-Key: test", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 403);
  const char *challenge = t_gw_header(d, "WWW-Authenticate");
  assert_non_null(challenge);
  assert_non_null(strstr(challenge, "error=\"insufficient_scope\""));
  assert_non_null(strstr(challenge, "scope=\"catalog:read\""));
  cJSON_Delete(problem(d, 403));
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static void test_lifecycle(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  /* deprecated: RFC 9745 §2 Deprecation as an sf-date, RFC 8594 §3 Sunset as an HTTP-date, Link to the successor */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v1/orders/7", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(t_gw_header(d, "Deprecation"), "@1780272000"); /* 2026-06-01T00:00:00Z */
  assert_string_equal(t_gw_header(d, "Sunset"), "Tue, 01 Jun 2027 00:00:00 GMT");
  const char *link = t_gw_header(d, "Link");
  assert_non_null(strstr(link, "</v2>; rel=\"successor-version\""));
  assert_non_null(strstr(link, "<https://developer.example.com/deprecations/orders-v1>; rel=\"deprecation\""));
  /* a published version carries none of them */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", bearer("viewer"), NULL), NOW, d);
  assert_null(t_gw_header(d, "Deprecation"));
  assert_null(t_gw_header(d, "Sunset"));
  /* retired: 410 Gone with a problem naming the successor, before any authentication */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v0/orders/7", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 410);
  assert_int_equal(gh_decision_stage(d), GH_STAGE_ROUTE);
  cJSON *p = problem(d, 410);
  assert_string_equal(cJSON_GetObjectItem(p, "successor")->valuestring, "v2");
  assert_string_equal(cJSON_GetObjectItem(p, "successor_url")->valuestring, "/v2");
  cJSON_Delete(p);
  /* after its sunset a deprecated version is gone too (RFC 8594 §3) */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v1/orders/7", bearer("viewer"), NULL), 1812844800000, d);
  assert_int_equal(gh_decision_status(d), 410);
  /* a draft: invisible (404) to all but its roles */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v3/orders/7", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 404);
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v3/orders/7", bearer("admin"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static const char *LIMITED =
    "{\"gatehouse\":1,\"limits\":{\"two\":{\"algorithm\":\"fixed-window\",\"limit\":2,\"period\":60,\"key\":\"ip\","
    "\"memory\":65536},\"slots\":{\"algorithm\":\"concurrency\",\"limit\":1,\"key\":\"ip\",\"memory\":65536}},"
    "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]},\"one\":{\"targets\":[\"http://127.0.0.1:2\"],"
    "\"max_requests\":1}},"
    "\"routes\":[{\"method\":\"GET\",\"path\":\"/a\",\"limits\":[\"two\"],\"upstream\":\"u\"},"
    "{\"method\":\"GET\",\"path\":\"/slot\",\"limits\":[\"slots\"],\"upstream\":\"u\"},"
    "{\"method\":\"GET\",\"path\":\"/one\",\"upstream\":\"one\"},"
    "{\"method\":\"POST\",\"path\":\"/rpc\",\"limits\":[\"two\"],\"upstream\":\"u\",\"grpc\":true}]}";

static void test_limits(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(LIMITED);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  for (int i = 0; i < 2; i++) {
    gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/a", NULL), NOW, d);
    assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  }
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/a", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 429);
  assert_string_equal(gh_decision_reason(d), "limit:two");
  /* RFC 9110 §10.2.3 Retry-After in seconds; the RateLimit fields name the limit that denied */
  assert_string_equal(t_gw_header(d, "Retry-After"), "60");
  assert_string_equal(t_gw_header(d, "RateLimit-Policy"), "\"two\";q=2;w=60");
  assert_string_equal(t_gw_header(d, "RateLimit"), "\"two\";r=0;t=60");
  cJSON *p = problem(d, 429);
  assert_string_equal(cJSON_GetObjectItem(p, "type")->valuestring, "urn:gatehouse:problem:rate-limited");
  cJSON_Delete(p);
  /* another caller is not affected */
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.10", "GET", "/a", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  /* concurrency: the slot comes back on completion */
  gh_decision *d2;
  gh_decision_new(&d2);
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/slot", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  t_req q2;
  gh_gateway_decide(gw, t_gw_request(&q2, "192.0.2.9", "GET", "/slot", NULL), NOW, d2);
  assert_int_equal(gh_decision_status(d2), 429);
  gh_gateway_complete(gw, d, 200, 5, 0, 0);
  gh_gateway_decide(gw, t_gw_request(&q2, "192.0.2.9", "GET", "/slot", NULL), NOW, d2);
  assert_int_equal(gh_decision_verdict(d2), GH_VERDICT_FORWARD);
  /* an upstream at its request cap: 503 */
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/one", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  gh_gateway_decide(gw, t_gw_request(&q2, "192.0.2.9", "GET", "/one", NULL), NOW, d2);
  assert_int_equal(gh_decision_status(d2), 503);
  assert_string_equal(gh_decision_reason(d2), "upstream:unavailable");
  gh_decision_free(d); /* completes it */
  gh_decision_free(d2);
  gh_gateway_free(gw);
}

static void test_grpc(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  /* gRPC callers get trailers-only answers: HTTP 200, grpc-status, grpc-message (percent-encoded) */
  struct {
    const char *ip, *method, *path, *auth;
    const char *grpc_status;
  } cases[] = {
      {"10.1.2.3", "POST", "/v2/orders/7", NULL, "12"},                     /* 405 → UNIMPLEMENTED */
      {"10.1.2.3", "GET", "/nowhere", NULL, "5"},                           /* 404 → NOT_FOUND */
      {"10.1.2.3", "GET", "/v2/orders/7", NULL, "16"},                      /* 401 → UNAUTHENTICATED */
      {"203.0.113.9", "DELETE", "/v2/orders/7", "admin", "7"},              /* 403 → PERMISSION_DENIED */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    gh_gateway_decide(gw, t_gw_request(&q, cases[i].ip, cases[i].method, cases[i].path, "Content-Type: application/grpc+proto",
                               cases[i].auth ? bearer(cases[i].auth) : "X-None: 1", NULL),
                      NOW, d);
    assert_int_equal(gh_decision_verdict(d), GH_VERDICT_RESPOND);
    assert_int_equal(gh_decision_status(d), 200);
    assert_string_equal(t_gw_header(d, "Content-Type"), "application/grpc");
    assert_string_equal(t_gw_header(d, "grpc-status"), cases[i].grpc_status);
    assert_non_null(t_gw_header(d, "grpc-message"));
    size_t len;
    gh_decision_body(d, &len);
    assert_int_equal(len, 0);
  }
  gh_gateway_complete(gw, d, 200, -1, 0, 0); /* before the gateway goes */
  gh_gateway_free(gw);
  /* 429 → RESOURCE_EXHAUSTED on a route marked gRPC, whatever the content type */
  gw = t_gw_load(LIMITED);
  for (int i = 0; i < 3; i++) gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "POST", "/rpc", NULL), NOW, d);
  assert_string_equal(t_gw_header(d, "grpc-status"), "8");
  assert_non_null(t_gw_header(d, "Retry-After"));
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static void test_routing_answers(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/nowhere", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 404);
  assert_string_equal(gh_decision_reason(d), "route:not_found");
  cJSON_Delete(problem(d, 404));
  /* RFC 9110 §15.5.6: 405 with Allow */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "PATCH", "/v2/orders/7", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 405);
  assert_non_null(strstr(t_gw_header(d, "Allow"), "DELETE"));
  /* a refused path (dot segments) is 400 */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/%2e%2e/admin", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 400);
  /* the client's request id is kept when well-formed, replaced when not */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", "X-Request-Id: abc-123", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(gh_decision_request_id(d), "abc-123");
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", "X-Request-Id: a b\"c", NULL), NOW, d);
  assert_int_equal(strlen(gh_decision_request_id(d)), 32);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* ---- hooks ---- */

typedef struct hook_log {
  int calls[GH_STAGE_COUNT][3];
  int completions, last_status;
  int mode; /* what the hook under test does: 0 continue, 1 answer 418, 2 fail, 3 answered without respond */
} hook_log;

static int counting_hook(void *ud, const gh_request *r, gh_decision *d) {
  (void)r, (void)d;
  hook_log *l = ud;
  l->calls[0][0]++;
  return GH_HOOK_CONTINUE;
}

static int acting_hook(void *ud, const gh_request *r, gh_decision *d) {
  (void)r;
  hook_log *l = ud;
  l->calls[1][0]++;
  switch (l->mode) {
    case 1: return gh_decision_respond(d, 418, "a teapot") ? GH_EINVAL : GH_HOOK_ANSWERED;
    case 2: return GH_EIO;
    case 3: return GH_HOOK_ANSWERED;
    default: return GH_HOOK_CONTINUE;
  }
}

static int replacing_authn(void *ud, const gh_request *r, gh_decision *d) {
  (void)ud;
  for (size_t i = 0; i < r->n_headers; i++)
    if (r->headers[i].name_len == 6 && !strncmp(r->headers[i].name, "X-User", 6))
      return gh_decision_set_subject(d, r->headers[i].value, r->headers[i].value_len) ? GH_EINVAL : GH_HOOK_CONTINUE;
  return gh_decision_respond(d, 401, "who are you?") ? GH_EINVAL : GH_HOOK_ANSWERED;
}

static void on_complete(void *ud, const gh_decision *d, int status, int64_t upstream_ms, uint64_t in, uint64_t out) {
  hook_log *l = ud;
  assert_non_null(gh_decision_route(d)); /* still readable here */
  (void)upstream_ms, (void)in, (void)out;
  l->completions++;
  l->last_status = status;
}

static void test_hooks(void **state) {
  (void)state;
  hook_log log = {0};
  gh_gateway *gw;
  gh_gateway_new(&gw);
  assert_int_equal(gh_gateway_set_hook(gw, GH_STAGE_ROUTE, GH_HOOK_BEFORE, counting_hook, &log), GH_OK);
  assert_int_equal(gh_gateway_set_hook(gw, GH_STAGE_LIMIT, GH_HOOK_AFTER, acting_hook, &log), GH_OK);
  assert_int_equal(gh_gateway_set_hook(gw, GH_STAGE_AUTHENTICATE, GH_HOOK_REPLACE, replacing_authn, &log), GH_OK);
  assert_int_equal(gh_gateway_set_hook(gw, GH_STAGE_ROUTE, GH_HOOK_REPLACE, replacing_authn, &log), GH_EINVAL);
  assert_int_equal(gh_gateway_set_hook(gw, GH_STAGE_COUNT, GH_HOOK_BEFORE, counting_hook, &log), GH_EINVAL);
  assert_int_equal(gh_gateway_set_completion(gw, on_complete, &log), GH_OK);
  char errors[1024];
  assert_int_equal(gh_gateway_load(gw, example, example_len, errors, sizeof errors), GH_OK);
  assert_int_equal(gh_gateway_set_hook(gw, GH_STAGE_ROUTE, GH_HOOK_AFTER, counting_hook, &log), GH_EMISUSE);
  assert_int_equal(gh_gateway_set_completion(gw, NULL, NULL), GH_EMISUSE);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  /* the replacing hook authenticates by header; the policy then sees its subject (no roles: denied) */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", "X-User: alice", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 403);
  assert_string_equal(gh_decision_subject(d), "alice");
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 401);
  cJSON *p = problem(d, 401);
  assert_string_equal(cJSON_GetObjectItem(p, "detail")->valuestring, "who are you?");
  cJSON_Delete(p);
  assert_int_equal(log.calls[0][0], 2);
  /* an answering hook after the limits (the health route has no authentication to replace) */
  log.mode = 1;
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 418);
  assert_int_equal(gh_decision_stage(d), GH_STAGE_LIMIT);
  /* a failing hook: 500, logged, never a crash */
  log.mode = 2;
  t_log_capture(GH_LOG_ERROR);
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 500);
  assert_string_equal(gh_decision_reason(d), "hook:failed");
  assert_int_equal(t_log_count("EIO"), 1);
  /* a hook that claims an answer it did not give: 500 too */
  log.mode = 3;
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 500);
  assert_int_equal(t_log_count("without gh_decision_respond"), 1);
  t_log_stop();
  log.mode = 0;
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  int before = log.completions;
  gh_gateway_complete(gw, d, 204, 3, 0, 0);
  assert_int_equal(log.completions, before + 1);
  assert_int_equal(log.last_status, 204);
  /* deciding again completes an open decision first */
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", NULL), NOW, d);
  gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/health", NULL), NOW, d);
  assert_int_equal(log.completions, before + 2);
  gh_decision_free(d);
  assert_int_equal(log.completions, before + 3);
  gh_gateway_free(gw);
}

/* ---- misuse ---- */

static void test_misuse(void **state) {
  (void)state;
  gh_gateway *gw;
  gh_decision *d;
  gh_gateway_new(&gw);
  gh_decision_new(&d);
  t_req q;
  char errors[256];
  assert_int_equal(gh_gateway_decide(gw, t_gw_request(&q, NULL, "GET", "/", NULL), NOW, d), GH_EMISUSE);
  assert_int_equal(gh_decision_status(d), 503); /* a host that ignores the code still answers */
  assert_int_equal(gh_gateway_reload(gw, example, example_len, errors, sizeof errors), GH_EMISUSE);
  assert_int_equal(gh_gateway_version(gw), 0);
  char hash[65];
  assert_int_equal(gh_gateway_hash(gw, hash), GH_EMISUSE);
  assert_int_equal(gh_gateway_load(gw, example, example_len, errors, sizeof errors), GH_OK);
  assert_int_equal(gh_gateway_load(gw, example, example_len, errors, sizeof errors), GH_EMISUSE);
  assert_int_equal(gh_gateway_decide(gw, t_gw_request(&q, NULL, "GET", "/", NULL), -1, d), GH_EINVAL);
  assert_int_equal(gh_decision_status(d), 500);
  assert_int_equal(gh_gateway_decide(gw, NULL, NOW, d), GH_EINVAL);
  assert_int_equal(gh_gateway_decide(gw, t_gw_request(&q, NULL, "GET", "/", NULL), NOW, NULL), GH_EINVAL);
  assert_int_equal(gh_decision_respond(d, 99, NULL), GH_EINVAL);
  assert_int_equal(gh_decision_verdict(NULL), 0);
  assert_null(gh_decision_target(NULL));
  assert_int_equal(gh_request_size(), sizeof(gh_request));
  gh_decision_free(d);
  gh_decision_free(NULL);
  gh_gateway_free(gw);
  gh_gateway_free(NULL);
}

/* ---- configuration errors ---- */

static void test_config_errors(void **state) {
  (void)state;
  const char *doc = "{\n"
                    "  \"gatehouse\": 1,\n"
                    "  \"upstreams\": {\"u\": {\"targets\": [\"http://127.0.0.1:1\"], \"balancer\": \"round_robbin\"}},\n"
                    "  \"apis\": [{\"name\": \"a\", \"versions\": [\n"
                    "    {\"version\": \"v1\", \"upstreem\": \"u\", \"state\": \"retird\",\n"
                    "     \"routes\": [{\"method\": \"GET\", \"path\": \"/x/{id}/{id}\", \"upstream\": \"u\", \"limits\": [\"nope\"]}]}\n"
                    "  ]}]\n"
                    "}\n";
  char errors[4096];
  assert_int_equal(gh_gateway_config_check(doc, strlen(doc), errors, sizeof errors), GH_EPARSE);
  /* every error at once, each with its path and line:column */
  const char *expected[] = {
      "$.upstreams.u.balancer (3:70): unknown balancer \"round_robbin\"; did you mean \"round_robin\"?",
      "$.apis[0].versions[0].upstreem (5:23): unknown member \"upstreem\"; did you mean \"upstream\"?",
      "$.apis[0].versions[0].state (5:49): unknown state \"retird\"; did you mean \"retired\"?",
      "$.apis[0].versions[0].routes[0].limits[0] (6:87): no limit named \"nope\" (define it under \"limits\")",
      "$.apis[0].versions[0].routes[0].path (6:43): parameter {id} declared twice",
  };
  for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
    if (!strstr(errors, expected[i])) fail_msg("missing \"%s\" in:\n%s", expected[i], errors);
  int lines = 1;
  for (const char *c = errors; *c; c++) lines += *c == '\n';
  assert_int_equal(lines, 5);
  /* not JSON at all, or not the format */
  assert_int_equal(gh_gateway_config_check("{", 1, errors, sizeof errors), GH_EPARSE);
  assert_non_null(strstr(errors, "not valid JSON"));
  assert_int_equal(gh_gateway_config_check("[]", 2, errors, sizeof errors), GH_EPARSE);
  assert_int_equal(gh_gateway_config_check("{\"gatehouse\":2}", 15, errors, sizeof errors), GH_EPARSE);
  assert_non_null(strstr(errors, "$.gatehouse (1:14): this library reads format 1"));
  /* a name given twice is refused, not silently merged */
  assert_int_equal(gh_gateway_config_check("{\"gatehouse\":1,\"gatehouse\":1}", 29, errors, sizeof errors), GH_EPARSE);
  /* a route takes at most 8 limits (all or nothing per request) */
  char many[2048];
  snprintf(many, sizeof many, "{\"gatehouse\":1,\"limits\":{\"l\":{\"algorithm\":\"gcra\",\"limit\":1,\"period\":1,"
           "\"key\":\"ip\",\"memory\":65536}},\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
           "\"routes\":[{\"method\":\"GET\",\"path\":\"/a\",\"upstream\":\"u\",\"limits\":[%s]}]}",
           "\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\",\"l\"");
  assert_int_equal(gh_gateway_config_check(many, strlen(many), errors, sizeof errors), GH_EPARSE);
  assert_non_null(strstr(errors, "$.routes[0].limits (1:"));
  assert_non_null(strstr(errors, "at most 8 limits per route"));
  /* a truncated report stays a string */
  assert_int_equal(gh_gateway_config_check(doc, strlen(doc), errors, 20), GH_EPARSE);
  assert_int_equal(strlen(errors), 19);
  /* the example validates */
  assert_int_equal(gh_gateway_config_check(example, example_len, errors, sizeof errors), GH_OK);
}

/* ---- key sets by URL, introspection ---- */

static int introspect(void *ud, const char *endpoint, const char *tok, size_t len, char **json, size_t *json_len) {
  int *calls = ud;
  (*calls)++;
  assert_string_equal(endpoint, "https://id.example.com/introspect");
  const char *answer = len == 4 && !memcmp(tok, "good", 4) ? "{\"active\":true,\"sub\":\"svc\",\"scope\":\"a b\"}"
                                                           : "{\"active\":false}";
  *json = strdup(answer);
  *json_len = strlen(answer);
  return GH_OK;
}

static void test_jwks_url_and_introspection(void **state) {
  (void)state;
  const char *doc =
      "{\"gatehouse\":1,\"realms\":{\"staff\":{\"providers\":[{\"name\":\"corp\",\"type\":\"jwt\","
      "\"issuer\":\"https://id.example.com\",\"audience\":\"api://orders\",\"algorithms\":[\"ES256\"],"
      "\"jwks_url\":\"https://id.example.com/jwks\",\"roles_claim\":\"roles\"}]},"
      "\"machines\":{\"providers\":[{\"name\":\"i\",\"type\":\"introspection\",\"endpoint\":\"https://id.example.com/introspect\"}]}},"
      "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
      "\"routes\":[{\"method\":\"GET\",\"path\":\"/a\",\"realm\":\"staff\",\"upstream\":\"u\"},"
      "{\"method\":\"GET\",\"path\":\"/m\",\"realm\":\"machines\",\"upstream\":\"u\"}]}";
  gh_gateway *gw;
  int calls = 0;
  gh_gateway_new(&gw);
  gh_gateway_set_introspection(gw, introspect, &calls);
  char errors[1024];
  assert_int_equal(gh_gateway_load(gw, doc, strlen(doc), errors, sizeof errors), GH_OK);
  assert_int_equal(gh_gateway_decide_may_wait(gw), 1); /* an introspection provider calls the host's hook */
  assert_string_equal(gh_gateway_jwks_url(gw, 0), "https://id.example.com/jwks");
  assert_null(gh_gateway_jwks_url(gw, 1));
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 401); /* no keys yet */
  size_t len;
  char *jwks = t_read_file(GH_SOURCE_DIR "/examples/tokens/demo-jwks.json", &len);
  char msg[256];
  assert_int_equal(gh_gateway_set_jwks(gw, "https://other.example/jwks", jwks, len, NOW, msg, sizeof msg), GH_ENOTFOUND);
  assert_int_equal(gh_gateway_set_jwks(gw, "https://id.example.com/jwks", "{", 1, NOW, msg, sizeof msg), GH_EPARSE);
  assert_int_equal(gh_gateway_jwks_due(gw, "https://id.example.com/jwks", NOW), 1); /* never fetched */
  assert_int_equal(gh_gateway_set_jwks(gw, "https://id.example.com/jwks", jwks, len, NOW, msg, sizeof msg), GH_OK);
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  /* refetched after jwks_ttl (300 s) ... */
  assert_int_equal(gh_gateway_jwks_due(gw, "https://id.example.com/jwks", NOW + 299000), 0);
  assert_int_equal(gh_gateway_jwks_due(gw, "https://id.example.com/jwks", NOW + 300000), 1);
  assert_int_equal(gh_gateway_jwks_due(gw, "https://other.example/jwks", NOW + 300000), 0);
  /* ... and sooner once a token names a kid the set lacks (RFC 7515 §4.1.4: keys roll over), but
   * not before jwks_cooldown (30 s) since the last fetch, however many such tokens come */
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", "Authorization: Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJvdGF0ZWQta2V5In0.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUuY29tIiwiYXVkIjoiYXBpOi8vb3JkZXJzIiwiaWF0IjoxNzk5OTk5OTQwLCJleHAiOjE4MDAwMDM2MDAsInN1YiI6ImFsaWNlIiwicm9sZXMiOlsidmlld2VyIl19.C93qzjqS8_5dhAOF6ixMtn1I0MXYdB6tnBiig0YACB9AzrX0h-1_9v7QtxBEC8rSxsPgFd2KU-uU1qNtdf85SA", NULL), NOW + 1000, d);
  assert_int_equal(gh_decision_status(d), 401);
  assert_int_equal(gh_gateway_jwks_due(gw, "https://id.example.com/jwks", NOW + 29999), 0);
  assert_int_equal(gh_gateway_jwks_due(gw, "https://id.example.com/jwks", NOW + 30000), 1);
  /* the fetched set survives a reload */
  assert_int_equal(gh_gateway_reload(gw, doc, strlen(doc), errors, sizeof errors), GH_OK);
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_int_equal(gh_decision_config_version(d), 2);
  /* introspection through the host's hook, given the provider's endpoint */
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/m", "Authorization: Bearer good", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(gh_decision_subject(d), "svc");
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/m", "Authorization: Bearer bad", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 401);
  assert_true(calls >= 2);
  free(jwks);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* OpenID Connect discovery: the document names the key set, both fetched by the host. */
static void test_discovery(void **state) {
  (void)state;
  const char *doc =
      "{\"gatehouse\":1,\"realms\":{\"staff\":{\"providers\":[{\"name\":\"corp\",\"type\":\"jwt\","
      "\"issuer\":\"https://id.example.com\",\"audience\":\"api://orders\",\"algorithms\":[\"ES256\"],"
      "\"discovery_url\":\"https://id.example.com/.well-known/openid-configuration\"}]}},"
      "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
      "\"routes\":[{\"method\":\"GET\",\"path\":\"/a\",\"realm\":\"staff\",\"upstream\":\"u\"}]}";
  gh_gateway *gw = t_gw_load(doc);
  const char *disc = "https://id.example.com/.well-known/openid-configuration";
  assert_string_equal(gh_gateway_discovery_url(gw, 0), disc);
  assert_null(gh_gateway_jwks_url(gw, 0)); /* not known before the document */
  char msg[256], errors[1024];
  const char *other = "{\"issuer\":\"https://evil.example\",\"jwks_uri\":\"https://evil.example/jwks\"}";
  assert_int_equal(gh_gateway_set_discovery(gw, disc, other, strlen(other), NOW, msg, sizeof msg), GH_EDENIED);
  assert_null(gh_gateway_jwks_url(gw, 0)); /* RFC 8414 §3.3: another issuer's document changes nothing */
  const char *meta = "{\"issuer\":\"https://id.example.com\",\"jwks_uri\":\"https://id.example.com/keys\"}";
  assert_int_equal(gh_gateway_set_discovery(gw, disc, meta, strlen(meta), NOW, msg, sizeof msg), GH_OK);
  assert_string_equal(gh_gateway_jwks_url(gw, 0), "https://id.example.com/keys");
  size_t len;
  char *jwks = t_read_file(GH_SOURCE_DIR "/examples/tokens/demo-jwks.json", &len);
  assert_int_equal(gh_gateway_set_jwks(gw, "https://id.example.com/keys", jwks, len, NOW, msg, sizeof msg), GH_OK);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  /* both documents are kept across a reload */
  assert_int_equal(gh_gateway_reload(gw, doc, strlen(doc), errors, sizeof errors), GH_OK);
  assert_string_equal(gh_gateway_jwks_url(gw, 0), "https://id.example.com/keys");
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", bearer("viewer"), NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_int_equal(gh_gateway_set_discovery(gw, "https://x.example/", meta, strlen(meta), NOW, msg, sizeof msg), GH_ENOTFOUND);
  free(jwks);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* ---- reload ---- */

static void test_reload(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(LIMITED);
  char hash1[65], hash2[65], errors[2048];
  assert_int_equal(gh_gateway_version(gw), 1);
  assert_int_equal(gh_gateway_hash(gw, hash1), GH_OK);
  assert_int_equal(strlen(hash1), 64);
  gh_decision *d, *held;
  gh_decision_new(&d);
  gh_decision_new(&held);
  t_req q;
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/a", NULL), NOW, held); /* in flight across the reloads */
  /* a failing document changes nothing */
  assert_int_equal(gh_gateway_reload(gw, "{\"gatehouse\":1,\"routes\":[{}]}", 30, errors, sizeof errors), GH_EPARSE);
  assert_int_equal(gh_gateway_version(gw), 1);
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/a", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD); /* the second of two */
  /* the same limit definition keeps its counters across a reload */
  assert_int_equal(gh_gateway_reload(gw, LIMITED, strlen(LIMITED), errors, sizeof errors), GH_OK);
  assert_int_equal(gh_gateway_version(gw), 2);
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/a", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 429);
  /* a changed definition starts afresh; the hash follows the document */
  const char *three = "{\"gatehouse\":1,\"limits\":{\"two\":{\"algorithm\":\"fixed-window\",\"limit\":3,\"period\":60,"
                      "\"key\":\"ip\",\"memory\":65536}},\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
                      "\"routes\":[{\"method\":\"GET\",\"path\":\"/a\",\"limits\":[\"two\"],\"upstream\":\"u\"}]}";
  assert_int_equal(gh_gateway_reload(gw, three, strlen(three), errors, sizeof errors), GH_OK);
  assert_int_equal(gh_gateway_hash(gw, hash2), GH_OK);
  assert_string_not_equal(hash1, hash2);
  gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.9", "GET", "/a", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_int_equal(gh_decision_config_version(d), 3);
  /* the decision in flight still reads its own snapshot */
  assert_int_equal(gh_decision_config_version(held), 1);
  assert_string_equal(gh_decision_route(held), "GET /a");
  gh_gateway_complete(gw, held, 200, 1, 0, 0);
  gh_decision_free(held);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* Threads decide without pause while the main thread reloads: no decision
 * fails, every decision names a version that was current, and every old
 * snapshot is freed once its last decision completes (ASan/valgrind see leaks;
 * `make tsan` runs this for races). */
typedef struct reload_run {
  gh_gateway *gw;
  char authorization[2048]; /* made before the threads start (bearer() is not thread-safe) */
  atomic_bool stop;
  atomic_long decided, failed;
} reload_run;

static void *decide_loop(void *arg) {
  reload_run *run = arg;
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", run->authorization, NULL);
  uint64_t last = 0;
  while (!atomic_load(&run->stop)) {
    gh_gateway_decide(run->gw, &q.r, NOW, d);
    if (gh_decision_verdict(d) != GH_VERDICT_FORWARD || gh_decision_config_version(d) < last) atomic_fetch_add(&run->failed, 1);
    last = gh_decision_config_version(d);
    gh_gateway_complete(run->gw, d, 200, 1, 0, 0);
    atomic_fetch_add(&run->decided, 1);
  }
  gh_decision_free(d);
  return NULL;
}

static void test_reload_under_load(void **state) {
  (void)state;
  /* the example without its limits on v2 (every decision here is at the same instant) */
  char *doc = strdup(example);
  const char *limits = "\"limits\": [\"per-caller\", \"per-caller-day\"],";
  char *at = strstr(doc, limits);
  assert_non_null(at);
  memmove(at, at + strlen(limits), strlen(at + strlen(limits)) + 1);
  reload_run run = {.gw = t_gw_load(doc)};
  snprintf(run.authorization, sizeof run.authorization, "%s", bearer("viewer"));
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, decide_loop, &run);
  char errors[1024];
  /* each reload waits for decisions made since the last one, so that they overlap however the threads are
   * scheduled (under valgrind they run one at a time) */
  for (int i = 0; i < 50; i++) {
    long seen = atomic_load(&run.decided);
    while (atomic_load(&run.decided) < seen + 2) sched_yield();
    assert_int_equal(gh_gateway_reload(run.gw, doc, strlen(doc), errors, sizeof errors), GH_OK);
  }
  atomic_store(&run.stop, true);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  assert_int_equal(atomic_load(&run.failed), 0);
  assert_true(atomic_load(&run.decided) > 0);
  assert_int_equal(gh_gateway_version(run.gw), 51);
  gh_gateway_free(run.gw);
  free(doc);
}

/* ---- token binding from the document: DPoP (RFC 9449) and mTLS (RFC 8705) ---- */

static void test_bound_tokens(void **state) {
  (void)state;
  cJSON *v = t_load_json("dpop/proofs.json");
  const cJSON *bound = cJSON_GetObjectItem(v, "bound");
  const char *k = cJSON_GetObjectItem(bound, "secret_k")->valuestring;
  char doc[2048], auth[2048], proof[2048], errors[1024];
  snprintf(doc, sizeof doc,
           "{\"gatehouse\":1,\"realms\":{\"r\":{\"dpop\":{\"algorithms\":[\"ES256\"],\"max_age\":300},\"providers\":["
           "{\"name\":\"i\",\"type\":\"jwt\",\"issuer\":\"https://id.example.com\",\"algorithms\":[\"HS256\"],"
           "\"jwks\":{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\",\"kid\":\"realm\",\"alg\":\"HS256\"}]}}]}},"
           "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
           "\"routes\":[{\"method\":\"GET\",\"path\":\"/orders\",\"realm\":\"r\",\"upstream\":\"u\"}]}",
           k);
  gh_gateway *gw = t_gw_load(doc);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  const int64_t at = 1700000000000;
  snprintf(auth, sizeof auth, "Authorization: DPoP %s", cJSON_GetObjectItem(bound, "dpop_token")->valuestring);
  snprintf(proof, sizeof proof, "DPoP: %s", cJSON_GetObjectItem(bound, "dpop_proof")->valuestring);
  gh_request *r = t_gw_request(&q, "10.0.0.1", "GET", "/orders", auth, NULL);
  gh_gateway_decide(gw, r, at, d); /* RFC 9449 §7.1: a DPoP-bound token needs its proof */
  assert_int_equal(gh_decision_status(d), 401);
  r = t_gw_request(&q, "10.0.0.1", "GET", "/orders", auth, proof, NULL);
  r->host = "api.example.com", r->host_len = 15; /* htu: https://api.example.com/orders */
  gh_gateway_decide(gw, r, at, d);
  char why[2048];
  gh_decision_explain(d, why, sizeof why, NULL);
  if (gh_decision_verdict(d) != GH_VERDICT_FORWARD) fail_msg("%s\n%s", why, t_gw_header(d, "WWW-Authenticate"));
  assert_string_equal(gh_decision_subject(d), "alice");
  /* RFC 9449 §11.1: a proof used again is a replay, also after a reload of the same realm */
  assert_int_equal(gh_gateway_reload(gw, doc, strlen(doc), errors, sizeof errors), GH_OK);
  gh_gateway_decide(gw, r, at, d);
  assert_int_equal(gh_decision_status(d), 401);
  assert_non_null(strstr(t_gw_header(d, "WWW-Authenticate"), "DPoP"));
  /* RFC 8705 §3: a certificate-bound token passes with that certificate only */
  size_t n;
  unsigned char *cert = t_unhex(cJSON_GetObjectItem(bound, "cert_sha256_hex")->valuestring, &n);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", cJSON_GetObjectItem(bound, "mtls_token")->valuestring);
  r = t_gw_request(&q, "10.0.0.1", "GET", "/orders", auth, NULL);
  gh_gateway_decide(gw, r, at, d);
  assert_int_equal(gh_decision_status(d), 401);
  r->client_cert_sha256 = cert;
  gh_gateway_decide(gw, r, at, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  free(cert);
  gh_decision_free(d);
  gh_gateway_free(gw);
  cJSON_Delete(v);
}

/* ---- a version's OpenAPI document: its operations are the routes ---- */

static void test_openapi_version(void **state) {
  (void)state;
  const char *doc =
      "{\"gatehouse\":1,\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
      "\"apis\":[{\"name\":\"items\",\"versions\":[{\"version\":\"v9\",\"base_path\":\"/v9\",\"upstream\":\"u\","
      "\"state\":\"deprecated\",\"sunset\":\"2030-01-01T00:00:00Z\",\"openapi\":{\"openapi\":\"3.1.0\",\"paths\":{"
      "\"/items/{id}\":{\"get\":{\"operationId\":\"getItem\",\"parameters\":[{\"name\":\"id\",\"in\":\"path\","
      "\"required\":true,\"schema\":{\"type\":\"integer\"}}]}},\"/items\":{\"post\":{}}}}}]}]}";
  gh_gateway *gw = t_gw_load(doc);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/v9/items/5", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(gh_decision_route(d), "getItem");
  assert_string_equal(gh_decision_api_version(d), "v9");
  assert_non_null(t_gw_header(d, "Sunset")); /* the version's lifecycle applies to its operations */
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/v9/items/five", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 404); /* the parameter's schema says integer */
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "POST", "/v9/items", NULL), NOW, d);
  assert_string_equal(gh_decision_route(d), "POST /v9/items");
  gh_decision_free(d);
  gh_gateway_free(gw);
  /* the document's own errors, located inside it */
  const char *bad = "{\"gatehouse\":1,\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},\"apis\":[{\"name\":\"a\","
                    "\"versions\":[{\"version\":\"v1\",\"upstream\":\"u\",\"openapi\":{\"openapi\":\"3.0.3\",\"paths\":{"
                    "\"/x/{id\":{\"get\":{}}}}}]}]}";
  char errors[1024];
  assert_int_equal(gh_gateway_config_check(bad, strlen(bad), errors, sizeof errors), GH_EPARSE);
  if (!strstr(errors, "$.apis[0].versions[0].openapi.paths[\"/x/{id\"] (1:"))
    fail_msg("%s", errors);
}

/* ---- incremental changes (RFC 6902 JSON Patch) ---- */

static void test_patch(void **state) {
  (void)state;
  const char *doc = "{\"gatehouse\":1,\"realms\":{\"partners\":{\"api_key_header\":\"X-API-Key\",\"providers\":[]}},"
                    "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
                    "\"routes\":[{\"method\":\"GET\",\"path\":\"/a\",\"realm\":\"partners\",\"upstream\":\"u\"},"
                    "{\"method\":\"GET\",\"path\":\"/b\",\"upstream\":\"u\"}]}";
  gh_gateway *gw = t_gw_load(doc);
  gh_decision *d;
  gh_decision_new(&d);
  t_req q;
  char errors[2048];
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", "X-API-Key: test", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 401); /* no provider yet */
  /* an identity provider added at runtime (sha256("test")) */
  const char *add_idp = "[{\"op\":\"add\",\"path\":\"/realms/partners/providers/-\",\"value\":{\"name\":\"keys\","
                        "\"type\":\"api_key\",\"keys\":[{\"sha256\":"
                        "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"consumer\":\"tester\"}]}}]";
  assert_int_equal(gh_gateway_patch(gw, add_idp, strlen(add_idp), errors, sizeof errors), GH_OK);
  assert_int_equal(gh_gateway_version(gw), 2);
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", "X-API-Key: test", NULL), NOW, d);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(gh_decision_subject(d), "tester");
  /* a key added to it, a route removed (RFC 6901 escapes in a name: ~1 is '/') */
  const char *more = "[{\"op\":\"test\",\"path\":\"/routes/1/path\",\"value\":\"/b\"},"
                     "{\"op\":\"remove\",\"path\":\"/routes/1\"},"
                     "{\"op\":\"add\",\"path\":\"/realms/partners/providers/0/keys/0\",\"value\":{\"sha256\":"
                     "\"b72d9bfa943db001c84b872e9207870deb161da2b95c6013cb5d420c11d0d7e0\",\"consumer\":\"acme\"}},"
                     "{\"op\":\"add\",\"path\":\"/upstreams/a~1b\",\"value\":{\"targets\":[\"http://127.0.0.1:2\"]}}]";
  assert_int_equal(gh_gateway_patch(gw, more, strlen(more), errors, sizeof errors), GH_OK);
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/b", NULL), NOW, d);
  assert_int_equal(gh_decision_status(d), 404);
  gh_gateway_decide(gw, t_gw_request(&q, "10.0.0.1", "GET", "/a", "X-API-Key: gh_demo_partner_key_DO_NOT_USE", NULL), NOW, d);
  assert_string_equal(gh_decision_subject(d), "acme");
  char *now;
  size_t now_len;
  assert_int_equal(gh_gateway_document(gw, &now, &now_len), GH_OK);
  assert_non_null(strstr(now, "\"a/b\""));
  gh_free_secret(now);
  /* refusals change nothing: each names the operation or the resulting document's path */
  struct {
    const char *patch, *says;
  } bad[] = {
      {"{}", "array of at most"},
      {"[{\"op\":\"move\",\"path\":\"/routes\",\"from\":\"/x\"}]", "patch[0]: op \"move\""},
      {"[{\"op\":\"remove\",\"path\":\"/routes/7\"}]", "patch[0]: /routes/7: nothing there to remove"},
      {"[{\"op\":\"add\",\"path\":\"/nope/x\",\"value\":1}]", "no such place"},
      {"[{\"op\":\"test\",\"path\":\"/gatehouse\",\"value\":2}]", "patch[0]: test of /gatehouse failed"},
      {"[{\"op\":\"add\",\"path\":\"/routes/-\"}]", "needs a \"value\""},
      {"[{\"op\":\"replace\",\"path\":\"/routes/0/upstream\",\"value\":\"nowhere\"}]", "no upstream named \"nowhere\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(gh_gateway_patch(gw, bad[i].patch, strlen(bad[i].patch), errors, sizeof errors), GH_EPARSE);
    if (!strstr(errors, bad[i].says)) fail_msg("patch %zu said: %s", i, errors);
  }
  assert_int_equal(gh_gateway_version(gw), 3);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* ---- allocation failures ---- */

static void test_allocation_failures(void **state) {
  (void)state;
  long step = t_faultsim_step();
  t_alloc_install();
  for (long n = 1;; n += step) {
    long before = t_alloc_outstanding();
    t_alloc_fail_at(n);
    gh_gateway *gw = NULL;
    gh_decision *d = NULL;
    char errors[512];
    int rc = gh_gateway_new(&gw);
    if (!rc) rc = gh_gateway_load(gw, example, example_len, errors, sizeof errors);
    if (!rc) rc = gh_decision_new(&d);
    t_req q;
    if (!rc) {
      gh_gateway_decide(gw, t_gw_request(&q, "10.1.2.3", "GET", "/v2/orders/7", bearer("viewer"), NULL), NOW, d);
      rc = gh_decision_verdict(d) == GH_VERDICT_FORWARD ? GH_OK : GH_ENOMEM;
    }
    long made = t_alloc_count();
    t_alloc_fail_at(0);
    if (rc && rc != GH_ENOMEM) fail_msg("allocation %ld failing gave %s: %s", n, gh_err_name(rc), errors);
    gh_decision_free(d);
    gh_gateway_free(gw);
    assert_int_equal(t_alloc_outstanding(), before); /* nothing leaked */
    if (!rc && made < n) break;
  }
  t_alloc_uninstall();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forward),          cmocka_unit_test(test_authentication_denials),
      cmocka_unit_test(test_authenticate_without_route),
      cmocka_unit_test(test_authorization),    cmocka_unit_test(test_api_keys_and_scopes),
      cmocka_unit_test(test_lifecycle),        cmocka_unit_test(test_limits),
      cmocka_unit_test(test_grpc),             cmocka_unit_test(test_routing_answers),
      cmocka_unit_test(test_hooks),            cmocka_unit_test(test_misuse),
      cmocka_unit_test(test_config_errors),    cmocka_unit_test(test_jwks_url_and_introspection),
      cmocka_unit_test(test_reload),           cmocka_unit_test(test_reload_under_load),
      cmocka_unit_test(test_patch),           cmocka_unit_test(test_openapi_version),
      cmocka_unit_test(test_bound_tokens),    cmocka_unit_test(test_discovery),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
