/* API management (issue 13) over the example configuration
 * (examples/gateway/gateway.json): subscriptions and their refusals, plans'
 * limits and quotas per consumer, usage equal to the requests made, the
 * Prometheus exposition parsed back (counts, monotonic buckets, _sum and
 * _count), the access log parsed as JSON with no secret in it, the OpenAPI
 * export, and metrics recorded from several threads with exact totals. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway_helpers.h"
#include "helpers.h"

#define ACME "X-API-Key: gh_demo_partner_key_DO_NOT_USE"
#define GLOBEX "X-API-Key: globex-demo-key-DO-NOT-USE"
#define INITECH "X-API-Key: initech-demo-key-DO-NOT-USE"
#define NOW 1798761600000LL /* 2027-01-01 */

static char *example;
static size_t example_len;

static int setup(void **state) {
  (void)state;
  example = t_read_file(GH_SOURCE_DIR "/examples/gateway/gateway.json", &example_len);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  free(example);
  return 0;
}

/* The example, changed by a JSON Patch (RFC 6902) before it is loaded. */
static gh_gateway *load_patched(const char *patch, gh_access_log_fn log, void *log_ud) {
  gh_gateway *gw;
  char errors[4096];
  assert_int_equal(gh_gateway_new(&gw), GH_OK);
  if (log) assert_int_equal(gh_gateway_set_access_log(gw, log, log_ud), GH_OK);
  if (gh_gateway_load(gw, example, example_len, errors, sizeof errors)) fail_msg("%s", errors);
  if (patch && gh_gateway_patch(gw, patch, strlen(patch), errors, sizeof errors)) fail_msg("%s", errors);
  return gw;
}

/* Decides and completes one request with the key given; returns the status the caller sees. */
static int call(gh_gateway *gw, gh_decision *d, const char *key, const char *path, int64_t now, int upstream_status) {
  t_req q;
  assert_int_equal(gh_gateway_decide(gw, t_gw_request(&q, "192.0.2.1", "GET", path, key, NULL), now, d), GH_OK);
  int status = gh_decision_verdict(d) == GH_VERDICT_FORWARD ? upstream_status : gh_decision_status(d);
  gh_gateway_complete(gw, d, status, gh_decision_verdict(d) == GH_VERDICT_FORWARD ? 12 : -1, 100, 1000);
  return status;
}

static cJSON *body_of(const gh_decision *d) {
  size_t len = 0;
  const char *body = gh_decision_body(d, &len);
  cJSON *j = cJSON_ParseWithLength(body, len);
  assert_non_null(j);
  return j;
}

static void assert_member(const cJSON *o, const char *name, const char *want) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
  assert_true(cJSON_IsString(m));
  assert_string_equal(m->valuestring, want);
}

/* The usage summed over (consumer, api, version) (NULL: any) is what the test made. */
static void assert_usage(gh_gateway *gw, const char *consumer, const char *api, const char *version, uint64_t requests,
                         uint64_t forwarded, uint64_t quota_units) {
  gh_usage u;
  assert_int_equal(gh_usage_get(gw, consumer, api, version, &u), GH_OK);
  assert_int_equal(u.requests, requests);
  assert_int_equal(u.forwarded, forwarded);
  assert_int_equal(u.denied, requests - forwarded);
  assert_int_equal(u.quota_units, quota_units);
}

/* A consumer calls a version that requires it only with an active subscription; others get 403 problems (RFC 9457). */
static void test_subscriptions(void **state) {
  (void)state;
  gh_gateway *gw = load_patched(NULL, NULL, NULL);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW, 200), 200);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);

  assert_int_equal(call(gw, d, GLOBEX, "/catalog/v1/products", NOW, 200), 403);
  assert_string_equal(gh_decision_reason(d), "authorize:subscription_suspended");
  assert_string_equal(t_gw_header(d, "Content-Type"), "application/problem+json"); /* RFC 9457 §3 */
  cJSON *b = body_of(d);
  assert_member(b, "type", "urn:gatehouse:problem:subscription-suspended");
  assert_member(b, "detail", "the subscription of consumer globex to API catalog version v1 is suspended");
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(b, "status")->valueint, 403); /* §3.1.2 */
  cJSON_Delete(b);

  assert_int_equal(call(gw, d, INITECH, "/catalog/v1/products", NOW, 200), 403);
  b = body_of(d);
  assert_member(b, "type", "urn:gatehouse:problem:subscription-required");
  assert_member(b, "detail", "consumer initech has no subscription to API catalog version v1");
  cJSON_Delete(b);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* A key whose owner is no consumer: refused where a subscription is required, named as such. */
static void test_not_a_consumer(void **state) {
  (void)state;
  /* a key of the provider's own list (sha256 of "stranger-key"), whose owner is no consumer */
  gh_gateway *gw = load_patched(
      "[{\"op\":\"add\",\"path\":\"/realms/partners/providers/0/keys/-\",\"value\":{"
      "\"sha256\":\"96fbe991904da033d08b8e7a208f893914d56cc10d96503b7a5d4bd0b3ea0101\","
      "\"consumer\":\"stranger\",\"scopes\":\"catalog:read\"}}]",
      NULL, NULL);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  assert_int_equal(call(gw, d, "X-API-Key: stranger-key", "/catalog/v1/products", NOW, 200), 403);
  assert_string_equal(gh_decision_reason(d), "authorize:no_subscription");
  cJSON *b = body_of(d);
  assert_member(b, "detail",
                "API catalog version v1 is called through a subscription; the caller is not a registered consumer");
  cJSON_Delete(b);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* Subscriptions change at runtime through new snapshots; limits keep their counts across them. */
static void test_subscribe_at_runtime(void **state) {
  (void)state;
  gh_gateway *gw = load_patched(NULL, NULL, NULL);
  gh_decision *d;
  char errors[512];
  assert_int_equal(gh_decision_new(&d), GH_OK);
  uint64_t before = gh_gateway_version(gw);
  assert_int_equal(gh_gateway_subscribe(gw, "globex", "catalog", "v1", "active", errors, sizeof errors), GH_OK);
  assert_true(gh_gateway_version(gw) > before);
  assert_int_equal(call(gw, d, GLOBEX, "/catalog/v1/products", NOW, 200), 200);
  assert_int_equal(gh_gateway_subscribe(gw, "initech", "catalog", "*", "active", errors, sizeof errors), GH_OK);
  assert_int_equal(call(gw, d, INITECH, "/catalog/v1/products/42", NOW, 200), 200);
  /* one naming the version wins over "*" */
  assert_int_equal(gh_gateway_subscribe(gw, "initech", "catalog", "v1", "suspended", errors, sizeof errors), GH_OK);
  assert_int_equal(call(gw, d, INITECH, "/catalog/v1/products", NOW, 200), 403);
  assert_int_equal(gh_gateway_subscribe(gw, "initech", "catalog", "v1", NULL, errors, sizeof errors), GH_OK);
  assert_int_equal(call(gw, d, INITECH, "/catalog/v1/products", NOW, 200), 200);
  assert_int_equal(gh_gateway_subscribe(gw, "acme-partner", "catalog", "v1", NULL, errors, sizeof errors), GH_OK);
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW, 200), 403);
  /* what cannot be done says why */
  assert_int_equal(gh_gateway_subscribe(gw, "acme-partner", "catalog", "v1", NULL, errors, sizeof errors),
                   GH_ENOTFOUND);
  assert_string_equal(errors, "consumer \"acme-partner\" has no subscription to API \"catalog\" version \"v1\"");
  assert_int_equal(gh_gateway_subscribe(gw, "nobody", "catalog", "v1", "active", errors, sizeof errors), GH_ENOTFOUND);
  assert_string_equal(errors, "no consumer named \"nobody\" (add it under \"consumers\")");
  assert_int_equal(gh_gateway_subscribe(gw, "globex", "catalog", "v9", "active", errors, sizeof errors), GH_EPARSE);
  assert_non_null(strstr(errors, "API \"catalog\" has no version \"v9\""));
  assert_int_equal(gh_gateway_subscribe(gw, "globex", "catalog", "v1", "paused", errors, sizeof errors), GH_EINVAL);
  /* the plan's quota counted every forwarded request through all those snapshots */
  assert_usage(gw, NULL, "catalog", "v1", 5, 3, 3);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* A plan's limits are each consumer's own: one consumer exhausting its plan leaves another's untouched;
 * a calendar quota answers 429 with the quota's problem type (IETF RateLimit fields draft). */
static void test_plan_limits(void **state) {
  (void)state;
  gh_gateway *gw = load_patched(
      "[{\"op\":\"replace\",\"path\":\"/plans/partner-basic/limits\",\"value\":{"
      "\"burst\":{\"algorithm\":\"fixed-window\",\"limit\":2,\"period\":1,\"memory\":65536},"
      "\"monthly\":{\"algorithm\":\"quota-month\",\"limit\":3,\"memory\":65536}}},"
      "{\"op\":\"replace\",\"path\":\"/consumers/globex/subscriptions/0/state\",\"value\":\"active\"}]",
      NULL, NULL);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW, 200), 200);
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW, 200), 200);
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW, 200), 429);
  assert_string_equal(gh_decision_reason(d), "limit:partner-basic:burst");
  assert_string_equal(t_gw_header(d, "RateLimit-Policy"), "\"partner-basic:burst\";q=2;w=1");
  assert_non_null(t_gw_header(d, "Retry-After")); /* RFC 9110 §10.2.3 */
  /* another consumer on the same plan has its own counters */
  assert_int_equal(call(gw, d, GLOBEX, "/catalog/v1/products", NOW, 200), 200);
  /* a second later the window allows again, until the month's quota of 3 is spent */
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW + 1000, 200), 200);
  assert_int_equal(call(gw, d, ACME, "/catalog/v1/products", NOW + 2000, 200), 429);
  assert_string_equal(gh_decision_reason(d), "limit:partner-basic:monthly");
  cJSON *b = body_of(d);
  assert_member(b, "type", "urn:gatehouse:problem:quota-exceeded");
  cJSON_Delete(b);
  assert_usage(gw, "acme-partner", NULL, NULL, 5, 3, 3);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* Usage per consumer, plan and API version equals the requests made, and exports as JSON lines. */
static void test_usage(void **state) {
  (void)state;
  gh_gateway *gw = load_patched(NULL, NULL, NULL);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  for (int i = 0; i < 7; i++) call(gw, d, ACME, "/catalog/v1/products", NOW + i, 200);
  for (int i = 0; i < 3; i++) call(gw, d, GLOBEX, "/catalog/v1/products", NOW + i, 200);
  call(gw, d, NULL, "/health", NOW, 200); /* no consumer: no usage */
  assert_usage(gw, "acme-partner", "catalog", "v1", 7, 7, 7);
  gh_usage u;
  assert_int_equal(gh_usage_get(gw, "acme-partner", "catalog", "v1", &u), GH_OK);
  assert_int_equal(u.bytes_in, 700);
  assert_int_equal(u.bytes_out, 7000);
  assert_usage(gw, "globex", NULL, NULL, 3, 0, 0); /* its subscription is suspended */
  assert_usage(gw, "nobody", NULL, NULL, 0, 0, 0);
  char *text;
  size_t len;
  assert_int_equal(gh_usage_write(gw, &text, &len), GH_OK);
  int lines = 0;
  uint64_t total = 0;
  for (char *line = text, *next; *line; line = next) {
    next = strchr(line, '\n');
    assert_non_null(next);
    *next++ = 0;
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    assert_member(j, "plan", "partner-basic");
    assert_member(j, "api", "catalog");
    total += (uint64_t)cJSON_GetObjectItemCaseSensitive(j, "requests")->valuedouble;
    cJSON_Delete(j);
    lines++;
  }
  assert_int_equal(lines, 2);
  assert_int_equal(total, 10);
  gh_free(text);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* ---- the Prometheus exposition, parsed back ---- */

typedef struct sample {
  char name[96];
  char labels[512];
  double value;
} sample;

/* Every line a comment (# HELP / # TYPE) or `name{labels} value` (format 0.0.4). */
static size_t parse_exposition(char *text, sample *out, size_t cap) {
  size_t n = 0;
  for (char *line = text, *next; *line; line = next) {
    next = strchr(line, '\n');
    assert_non_null(next); /* every line ends with a line feed */
    *next++ = 0;
    if (line[0] == '#') {
      assert_true(!strncmp(line, "# HELP gatehouse_", 17) || !strncmp(line, "# TYPE gatehouse_", 17));
      continue;
    }
    assert_true(n < cap);
    sample *s = &out[n++];
    char *brace = strchr(line, '{'), *space = strrchr(line, ' ');
    assert_non_null(space);
    size_t name_len = (size_t)((brace && brace < space ? brace : space) - line);
    assert_true(name_len < sizeof s->name);
    memcpy(s->name, line, name_len);
    s->name[name_len] = 0;
    s->labels[0] = 0;
    if (brace && brace < space) snprintf(s->labels, sizeof s->labels, "%.*s", (int)(space - brace), brace);
    char *end;
    s->value = strtod(space + 1, &end);
    assert_true(*end == 0);
  }
  return n;
}

/* The gateway's exposition, parsed into s. */
static size_t scrape(gh_gateway *gw, sample *s, size_t cap) {
  char *text;
  size_t len;
  assert_int_equal(gh_metrics_write(gw, &text, &len), GH_OK);
  size_t n = parse_exposition(text, s, cap);
  gh_free(text);
  return n;
}

static double sum_of(const sample *s, size_t n, const char *name, const char *label) {
  double total = 0;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s[i].name, name) && (!label || strstr(s[i].labels, label))) total += s[i].value;
  return total;
}

static void test_prometheus(void **state) {
  (void)state;
  gh_gateway *gw = load_patched(NULL, NULL, NULL);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  for (int i = 0; i < 5; i++) call(gw, d, ACME, "/catalog/v1/products", NOW, 200);
  call(gw, d, ACME, "/catalog/v1/products", NOW, 503);
  call(gw, d, ACME, "/catalog/v1/products/7", NOW, 0); /* the upstream could not be reached */
  call(gw, d, "X-API-Key: wrong", "/catalog/v1/products", NOW, 200);
  call(gw, d, GLOBEX, "/catalog/v1/products", NOW, 200);
  call(gw, d, NULL, "/nowhere", NOW, 200);
  static sample s[4096];
  size_t n = scrape(gw, s, 4096);
  assert_true(sum_of(s, n, "gatehouse_requests_total", NULL) == 10);
  assert_true(sum_of(s, n, "gatehouse_requests_total", "consumer=\"acme-partner\",code_class=\"2xx\"") == 5);
  assert_true(sum_of(s, n, "gatehouse_requests_total", "code_class=\"5xx\"") == 1);
  assert_true(sum_of(s, n, "gatehouse_requests_total", "code_class=\"none\"") == 1);
  assert_true(sum_of(s, n, "gatehouse_requests_total", "consumer=\"globex\",code_class=\"4xx\"") == 1);
  assert_true(sum_of(s, n, "gatehouse_requests_total", "api=\"\",version=\"\",route=\"\"") == 1); /* no route: 404 */
  assert_true(sum_of(s, n, "gatehouse_request_bytes_total", NULL) == 1000);
  assert_true(
      sum_of(s, n, "gatehouse_authentication_failures_total", "realm=\"partners\",reason=\"INVALID_API_KEY\"") == 1);
  assert_true(sum_of(s, n, "gatehouse_upstream_responses_total", "outcome=\"success\"") == 5);
  assert_true(
      sum_of(s, n, "gatehouse_upstream_responses_total", "target=\"http://127.0.0.1:9003\",outcome=\"error\"") == 1);
  assert_true(sum_of(s, n, "gatehouse_upstream_responses_total", "outcome=\"unreachable\"") == 1);
  /* histograms: buckets cumulative and monotonic, +Inf equal to _count; each series' _count is its requests */
  size_t histograms = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(s[i].name, "gatehouse_stage_duration_seconds_count")) continue;
    histograms++;
    char series[512];
    snprintf(series, sizeof series, "%s", s[i].labels);
    series[strlen(series) - 1] = 0; /* without the closing brace */
    double last = -1, inf = -1, sum = -1;
    for (size_t k = 0; k < n; k++) {
      if (strncmp(s[k].labels, series, strlen(series))) continue;
      if (!strcmp(s[k].name, "gatehouse_stage_duration_seconds_bucket")) {
        assert_true(s[k].value >= last);
        last = s[k].value;
        if (strstr(s[k].labels, "le=\"+Inf\"")) inf = s[k].value;
      } else if (!strcmp(s[k].name, "gatehouse_stage_duration_seconds_sum")) {
        sum = s[k].value;
      }
    }
    assert_true(inf == s[i].value);
    assert_true(sum >= 0);
    assert_true(s[i].value >= 1);
  }
  assert_true(histograms >= 4);
  /* the upstream part: only the forwarded requests that reached an upstream and reported a time */
  assert_true(sum_of(s, n, "gatehouse_stage_duration_seconds_count", "stage=\"upstream\"") == 7);
  assert_true(sum_of(s, n, "gatehouse_stage_duration_seconds_count", "stage=\"authenticate\"") == 9);
  assert_true(sum_of(s, n, "gatehouse_stage_duration_seconds_sum", "stage=\"upstream\"") > 0.0839 &&
              sum_of(s, n, "gatehouse_stage_duration_seconds_sum", "stage=\"upstream\"") < 0.0841); /* 7 × 12 ms */
  double ms = 0;
  assert_int_equal(gh_metrics_quantile(gw, "catalog", "v1", NULL, NULL, GH_METRIC_UPSTREAM, 0.99, &ms), GH_OK);
  assert_true(ms > 10 && ms <= 25); /* 12 ms lies in the (10 ms, 25 ms] bucket */
  assert_int_equal(gh_metrics_quantile(gw, "catalog", "v1", NULL, NULL, GH_METRIC_AUTHENTICATE, 0.5, &ms), GH_OK);
  assert_true(ms > 0);
  assert_int_equal(gh_metrics_quantile(gw, "orders", NULL, NULL, NULL, GH_METRIC_AUTHENTICATE, 0.5, &ms), GH_ENOTFOUND);
  assert_int_equal(gh_metrics_quantile(gw, NULL, NULL, NULL, NULL, 9, 0.5, &ms), GH_EINVAL);
  assert_int_equal(gh_metrics_quantile(gw, NULL, NULL, NULL, NULL, GH_METRIC_OTHER, 1.5, &ms), GH_EINVAL);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* Beyond max_series label sets, recordings share one overflow series, counted. */
static void test_bounded_cardinality(void **state) {
  (void)state;
  gh_gateway *gw = load_patched("[{\"op\":\"replace\",\"path\":\"/analytics/max_series\",\"value\":2}]", NULL, NULL);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  call(gw, d, ACME, "/catalog/v1/products", NOW, 200);
  call(gw, d, ACME, "/catalog/v1/products/1", NOW, 200);
  call(gw, d, ACME, "/catalog/v1/products", NOW, 500);
  call(gw, d, GLOBEX, "/catalog/v1/products", NOW, 200);
  static sample s[1024];
  size_t n = scrape(gw, s, 1024);
  assert_true(sum_of(s, n, "gatehouse_requests_total", NULL) == 4);
  assert_true(sum_of(s, n, "gatehouse_requests_total", "consumer=\"_overflow\"") == 2);
  assert_true(sum_of(s, n, "gatehouse_metrics_overflow_total", NULL) >= 2);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* ---- the access log ---- */

typedef struct log_lines {
  char text[1 << 16];
  size_t len;
  int lines;
} log_lines;

static void keep_line(void *ud, const char *line, size_t len) {
  log_lines *l = ud;
  assert_true(len && line[len - 1] == '\n');
  assert_true(l->len + len < sizeof l->text);
  memcpy(l->text + l->len, line, len);
  l->len += len;
  l->text[l->len] = 0;
  l->lines++;
}

static void test_access_log(void **state) {
  (void)state;
  static log_lines log;
  memset(&log, 0, sizeof log);
  gh_gateway *gw = load_patched(NULL, keep_line, &log);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  call(gw, d, ACME, "/catalog/v1/products?api_key=query-secret-DO-NOT-LOG", NOW, 200);
  call(gw, d, "X-API-Key: wrong-secret-DO-NOT-LOG", "/catalog/v1/products", NOW, 200);
  t_req q;
  gh_gateway_decide(
      gw, t_gw_request(&q, "192.0.2.1", "GET", "/v2/orders/7", "Authorization: Bearer token-DO-NOT-LOG", NULL), NOW, d);
  gh_gateway_complete(gw, d, gh_decision_status(d), -1, 10, 20);
  assert_int_equal(log.lines, 3);
  assert_null(strstr(log.text, "DO-NOT-LOG"));
  assert_null(strstr(log.text, "DO_NOT_USE"));
  assert_null(strstr(log.text, "/catalog/v1/products?")); /* no path nor query: they may carry secrets */
  char *line = log.text;
  for (int i = 0; i < 3; i++) {
    char *next = strchr(line, '\n');
    *next = 0;
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    static const char *const fields[] = {"time",           "request_id", "method",      "api",      "version",
                                         "route",          "consumer",   "subject",     "status",   "reason",
                                         "target",         "gateway_ms", "upstream_ms", "bytes_in", "bytes_out",
                                         "config_version", NULL};
    for (size_t f = 0; fields[f]; f++) assert_non_null(cJSON_GetObjectItemCaseSensitive(j, fields[f]));
    if (i == 0) {
      assert_member(j, "consumer", "acme-partner");
      assert_member(j, "route", "list-products");
      assert_member(j, "time", "2027-01-01T00:00:00.000Z");
      assert_member(j, "target", "http://127.0.0.1:9003");
      assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "upstream_ms")->valueint, 12);
      assert_true(cJSON_GetObjectItemCaseSensitive(j, "gateway_ms")->valuedouble >= 0);
    } else if (i == 1) {
      assert_member(j, "reason", "authenticate:INVALID_API_KEY");
      assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "status")->valueint, 401);
      assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "consumer")));
    }
    cJSON_Delete(j);
    line = next + 1;
  }
  gh_decision_free(d);
  gh_gateway_free(gw);
}

/* ---- the OpenAPI export ---- */

static const cJSON *at(const cJSON *o, const char *a, const char *b, const char *c) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) r = cJSON_GetObjectItemCaseSensitive(r, b);
  if (c) r = cJSON_GetObjectItemCaseSensitive(r, c);
  return r;
}

static void test_openapi_export(void **state) {
  (void)state;
  gh_gateway *gw = load_patched(NULL, NULL, NULL);
  char *text;
  size_t len;
  assert_int_equal(gh_gateway_openapi(gw, &text, &len), GH_OK);
  cJSON *doc = cJSON_ParseWithLength(text, len);
  gh_free(text);
  assert_non_null(doc);
  assert_member(doc, "openapi", "3.1.0");
  const cJSON *get = at(doc, "paths", "/v2/orders/{id}", "get");
  assert_non_null(get);
  assert_member(get, "operationId", "orders.v2.get-order");
  const cJSON *param = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(get, "parameters"), 0);
  assert_member(param, "name", "id");
  assert_member(param, "in", "path");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(param, "required"))); /* OpenAPI 3.1 §4.8.12.1 */
  assert_non_null(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(get, "security"), 0), "staff-jwt"));
  assert_true(
      cJSON_IsTrue(at(doc, "paths", "/v1/orders/{id}", "get")
                       ? cJSON_GetObjectItemCaseSensitive(at(doc, "paths", "/v1/orders/{id}", "get"), "deprecated")
                       : NULL));
  assert_null(at(doc, "paths", "/v3/orders/{id}", NULL)); /* a draft is not published */
  assert_null(at(doc, "paths", "/v0/orders/{id}", NULL)); /* nor a retired version */
  assert_null(at(doc, "paths", "/health", NULL));         /* nor routes outside the catalog */
  assert_member(at(doc, "components", "securitySchemes", "partners-api-key"), "name", "X-API-Key");
  assert_member(at(doc, "components", "securitySchemes", "staff-jwt"), "bearerFormat", "JWT");
  const cJSON *plans = cJSON_GetObjectItemCaseSensitive(doc, "x-gatehouse-plans");
  assert_member(cJSON_GetArrayItem(plans, 0), "name", "partner-basic");
  bool found = false;
  for (const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "tags")->child; t; t = t->next)
    if (!strcmp(cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring, "orders v1")) {
      assert_member(at(t, "x-gatehouse-lifecycle", NULL, NULL), "sunset", "2027-06-01T00:00:00Z");
      found = true;
    }
  assert_true(found);
  cJSON_Delete(doc);
  gh_gateway_free(gw);
}

/* OpenID Connect discovery: openIdConnect at once, and OAuth 2.0 flows once the host fetched the document (RFC 8414).
 */
static void test_openapi_oauth_flows(void **state) {
  (void)state;
  const char *disc = "https://id.example.com/.well-known/openid-configuration";
  gh_gateway *gw = t_gw_load(
      "{\"gatehouse\":1,\"realms\":{\"corp\":{\"providers\":[{\"name\":\"oidc\",\"type\":\"jwt\","
      "\"issuer\":\"https://id.example.com\",\"algorithms\":[\"RS256\"],"
      "\"discovery_url\":\"https://id.example.com/.well-known/openid-configuration\"}]}},"
      "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
      "\"apis\":[{\"name\":\"a\",\"versions\":[{\"version\":\"v1\",\"base_path\":\"/v1\",\"realm\":\"corp\","
      "\"scopes\":[\"a:read\"],\"upstream\":\"u\",\"routes\":[{\"method\":\"GET\",\"path\":\"/x\"}]}]}]}");
  char *text;
  size_t len;
  assert_int_equal(gh_gateway_openapi(gw, &text, &len), GH_OK);
  cJSON *doc = cJSON_ParseWithLength(text, len);
  gh_free(text);
  assert_member(at(doc, "components", "securitySchemes", "corp-oidc"), "openIdConnectUrl", disc);
  assert_null(at(doc, "components", "securitySchemes", "corp-oauth2")); /* nothing fetched yet */
  cJSON_Delete(doc);
  const char *meta =
      "{\"issuer\":\"https://id.example.com\",\"jwks_uri\":\"https://id.example.com/keys\","
      "\"authorization_endpoint\":\"https://id.example.com/authorize\","
      "\"token_endpoint\":\"https://id.example.com/token\",\"scopes_supported\":[\"openid\",\"a:read\"]}";
  char msg[256];
  assert_int_equal(gh_gateway_set_discovery(gw, disc, meta, strlen(meta), NOW, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_gateway_openapi(gw, &text, &len), GH_OK);
  doc = cJSON_ParseWithLength(text, len);
  gh_free(text);
  const cJSON *flows = at(doc, "components", "securitySchemes", "corp-oauth2");
  assert_member(flows, "type", "oauth2");
  assert_member(at(flows, "flows", "authorizationCode", NULL), "authorizationUrl", "https://id.example.com/authorize");
  assert_member(at(flows, "flows", "clientCredentials", NULL), "tokenUrl", "https://id.example.com/token");
  assert_non_null(at(flows, "flows", "clientCredentials", "scopes")
                      ? cJSON_GetObjectItemCaseSensitive(at(flows, "flows", "clientCredentials", "scopes"), "a:read")
                      : NULL);
  /* the operation accepts either scheme, with the scope it requires */
  const cJSON *sec = cJSON_GetObjectItemCaseSensitive(at(doc, "paths", "/v1/x", "get"), "security");
  assert_int_equal(cJSON_GetArraySize(sec), 2);
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sec, 1), "corp-oauth2"), 0)->valuestring,
      "a:read");
  cJSON_Delete(doc);
  gh_gateway_free(gw);
}

/* ---- several threads, exact totals ---- */

#define THREADS 4
#define PER_THREAD 5000

static void *caller(void *ud) {
  gh_gateway *gw = ud;
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  for (int i = 0; i < PER_THREAD; i++)
    call(gw, d, i % 2 ? ACME : GLOBEX, i % 3 ? "/catalog/v1/products" : "/catalog/v1/products/9", NOW + i, 200);
  gh_decision_free(d);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  gh_gateway *gw =
      load_patched("[{\"op\":\"replace\",\"path\":\"/plans/partner-basic/limits\",\"value\":{}}]", NULL, NULL);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, caller, gw), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  static sample s[4096];
  size_t n = scrape(gw, s, 4096);
  assert_true(sum_of(s, n, "gatehouse_requests_total", NULL) == THREADS * PER_THREAD);
  assert_true(sum_of(s, n, "gatehouse_stage_duration_seconds_count", "stage=\"authenticate\"") == THREADS * PER_THREAD);
  gh_usage u;
  assert_int_equal(gh_usage_get(gw, "acme-partner", NULL, NULL, &u), GH_OK);
  assert_int_equal(u.requests, THREADS * PER_THREAD / 2);
  assert_int_equal(u.bytes_out, 1000ull * THREADS * PER_THREAD / 2);
  gh_gateway_free(gw);
}

/* ---- configuration errors, located and explained ---- */

static void expect_error(const char *patch, const char *want) {
  gh_gateway *gw = load_patched(NULL, NULL, NULL);
  char errors[4096];
  assert_int_equal(gh_gateway_patch(gw, patch, strlen(patch), errors, sizeof errors), GH_EPARSE);
  if (!strstr(errors, want)) fail_msg("wanted \"%s\" in:\n%s", want, errors);
  gh_gateway_free(gw);
}

static void test_config_errors(void **state) {
  (void)state;
  expect_error(
      "[{\"op\":\"add\",\"path\":\"/plans/partner-basic/limits/"
      "x\",\"value\":{\"algorithm\":\"gcra\",\"limit\":1,\"period\":1,\"key\":\"ip\"}}]",
      "$.plans.partner-basic.limits.x.key");
  expect_error("[{\"op\":\"replace\",\"path\":\"/consumers/globex/plan\",\"value\":\"partner-basik\"}]",
               "no plan named \"partner-basik\"; did you mean \"partner-basic\"?");
  expect_error(
      "[{\"op\":\"add\",\"path\":\"/consumers/globex/subscriptions/"
      "-\",\"value\":{\"api\":\"catalog\",\"version\":\"v7\"}}]",
      "API \"catalog\" has no version \"v7\"");
  expect_error("[{\"op\":\"add\",\"path\":\"/consumers/globex/subscriptions/-\",\"value\":{\"api\":\"katalog\"}}]",
               "no API named \"katalog\"");
  expect_error("[{\"op\":\"add\",\"path\":\"/consumers/initech/credentials/subjects\",\"value\":[\"globex\"]}]",
               "\"globex\" already identifies consumer \"globex\"");
  expect_error("[{\"op\":\"remove\",\"path\":\"/realms/partners/providers/0/consumer_keys\"}]",
               "no provider takes consumers' keys");
  expect_error(
      "[{\"op\":\"replace\",\"path\":\"/consumers/initech/credentials/api_keys/0/sha256\",\"value\":\"initech-key\"}]",
      "SHA-256 as 64 lower-case hex digits");
  expect_error("[{\"op\":\"replace\",\"path\":\"/analytics/max_series\",\"value\":0}]", "$.analytics.max_series");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_subscriptions),
      cmocka_unit_test(test_not_a_consumer),
      cmocka_unit_test(test_subscribe_at_runtime),
      cmocka_unit_test(test_plan_limits),
      cmocka_unit_test(test_usage),
      cmocka_unit_test(test_prometheus),
      cmocka_unit_test(test_bounded_cardinality),
      cmocka_unit_test(test_access_log),
      cmocka_unit_test(test_openapi_export),
      cmocka_unit_test(test_openapi_oauth_flows),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_config_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
