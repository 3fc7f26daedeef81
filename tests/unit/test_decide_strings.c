/* gh_gateway_decide_strings and gh_decision_strings, the bindings' one-call
 * path (gatehouse/gateway.h): the same decisions as gh_gateway_decide with
 * the accessors, malformed blocks refused without deciding, small buffers
 * told how much they need. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "gateway_helpers.h"
#include "helpers.h"

static t_gw_example ex;
static const char *example;
static int64_t NOW;

static int setup(void **state) {
  (void)state;
  t_gw_example_load(&ex);
  example = ex.config, NOW = ex.now_ms;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  t_gw_example_free(&ex);
  return 0;
}

/* A block from its strings (NULL-terminated list), each followed by its NUL. */
static size_t block_of(char *out, size_t cap, ...) {
  va_list ap;
  va_start(ap, cap);
  size_t used = 0;
  for (const char *s; (s = va_arg(ap, const char *));) {
    size_t n = strlen(s) + 1;
    assert_true(used + n <= cap);
    memcpy(out + used, s, n);
    used += n;
  }
  va_end(ap);
  return used;
}

/* The i-th string of gh_decision_strings' output. */
static const char *nth(const char *out, size_t len, size_t i) {
  const char *p = out;
  for (; i; i--) {
    p += strlen(p) + 1;
    assert_true((size_t)(p - out) < len);
  }
  return p;
}

static void same_as_accessors(const gh_decision *d, const char *out, size_t len) {
  const struct {
    size_t at;
    const char *value;
  } fields[] = {{GH_DECISION_STRING_REQUEST_ID, gh_decision_request_id(d)},
                {GH_DECISION_STRING_ROUTE, gh_decision_route(d)},
                {GH_DECISION_STRING_API, gh_decision_api(d)},
                {GH_DECISION_STRING_API_VERSION, gh_decision_api_version(d)},
                {GH_DECISION_STRING_SUBJECT, gh_decision_subject(d)},
                {GH_DECISION_STRING_REASON, gh_decision_reason(d)},
                {GH_DECISION_STRING_TARGET, gh_decision_target(d)},
                {GH_DECISION_STRING_UPSTREAM_PATH, gh_decision_upstream_path(d, NULL)}};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    assert_string_equal(nth(out, len, fields[i].at), fields[i].value ? fields[i].value : "");
  char status[16];
  snprintf(status, sizeof status, "%d", gh_decision_status(d));
  assert_string_equal(nth(out, len, GH_DECISION_STRING_STATUS), status);
  assert_string_equal(nth(out, len, GH_DECISION_STRING_VERDICT),
                      gh_decision_verdict(d) == GH_VERDICT_FORWARD ? "forward" : "respond");
  size_t n = gh_decision_header_count(d);
  for (size_t i = 0; i < n; i++) {
    const gh_header *h = gh_decision_header(d, i);
    char name[256], value[1024];
    snprintf(name, sizeof name, "%.*s", (int)h->name_len, h->name);
    snprintf(value, sizeof value, "%.*s", (int)h->value_len, h->value);
    assert_string_equal(nth(out, len, GH_DECISION_STRING_HEADERS + 2 * i), name);
    assert_string_equal(nth(out, len, GH_DECISION_STRING_HEADERS + 2 * i + 1), value);
  }
  /* nothing after the last header */
  const char *end = GH_DECISION_STRING_HEADERS + 2 * n ? nth(out, len, GH_DECISION_STRING_HEADERS + 2 * n - 1) : out;
  assert_int_equal((size_t)(end + strlen(end) + 1 - out), len);
}

static void test_forward_and_respond(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  char auth[2048], block[4096], out[4096];
  snprintf(auth, sizeof auth, "Bearer %s", t_gw_example_token(&ex, "viewer"));
  size_t len = block_of(block, sizeof block, "GET", "/v2/orders/7", "api.example.com", "?expand=items", "10.1.2.3",
                        "https", "Authorization", auth, "Accept", "application/json", NULL);
  size_t out_len;
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_OK);
  assert_int_equal(gh_decision_verdict(d), GH_VERDICT_FORWARD);
  assert_string_equal(gh_decision_upstream_path(d, NULL), "/v2/orders/7?expand=items"); /* the query came through */
  same_as_accessors(d, out, out_len);
  gh_gateway_complete(gw, d, 200, 3, 0, 0);

  /* no credentials: RFC 6750 3, a 401 with its challenge among the strings */
  len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "", "", "", NULL);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_OK);
  assert_int_equal(gh_decision_status(d), 401);
  same_as_accessors(d, out, out_len);
  assert_string_equal(nth(out, out_len, GH_DECISION_STRING_STATUS), "401");

  /* an empty query ("?") arrives as gh_request's empty query, not as none: the same decision as through the struct */
  len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "?", "10.1.2.3", "", "Authorization", auth, NULL);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_OK);
  char via_strings[256];
  snprintf(via_strings, sizeof via_strings, "%s", gh_decision_upstream_path(d, NULL));
  gh_gateway_complete(gw, d, 200, 1, 0, 0);
  gh_header h = {"Authorization", auth, 13, strlen(auth)};
  gh_request r = {.method = "GET", .method_len = 3, .path = "/v2/orders/7", .path_len = 12, .query = "",
                  .headers = &h, .n_headers = 1, .client_ip = "10.1.2.3", .client_ip_len = 8};
  assert_int_equal(gh_gateway_decide(gw, &r, NOW, d), GH_OK);
  assert_string_equal(gh_decision_upstream_path(d, NULL), via_strings);
  gh_gateway_complete(gw, d, 200, 1, 0, 0);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static void test_malformed_blocks_decide_nothing(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  char block[4096], out[512];
  size_t out_len = 99;
  /* fewer than six strings; a header name without its value; a query without its '?'; no final NUL */
  size_t len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "", "", NULL);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_EPARSE);
  assert_int_equal(out_len, 0);
  assert_int_equal(gh_decision_verdict(d), 0); /* nothing decided */
  len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "", "", "", "Accept", NULL);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_EPARSE);
  len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "a=1", "", "", NULL);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_EPARSE);
  len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "", "", "x", NULL);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len - 1, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_EPARSE);
  assert_int_equal(gh_gateway_decide_strings(gw, NULL, 0, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_EPARSE);
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, NULL, out, sizeof out, &out_len), GH_EINVAL);
  /* more headers than GH_DECIDE_STRINGS_MAX_HEADERS */
  size_t max = gh_decide_strings_max_headers(), cap = 64 + (max + 1) * 4;
  assert_int_equal(max, GH_DECIDE_STRINGS_MAX_HEADERS);
  char *big = malloc(cap);
  len = block_of(big, cap, "GET", "/v2/orders/7", "", "", "", "", NULL);
  for (size_t i = 0; i <= max; i++) len += (size_t)snprintf(big + len, cap - len, "a%c", '\0') + 1, big[len - 1] = '\0';
  assert_int_equal(gh_gateway_decide_strings(gw, big, len, NULL, 0, NOW, d, out, sizeof out, &out_len), GH_ETOOBIG);
  assert_int_equal(gh_decision_verdict(d), 0);
  free(big);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

static void test_small_buffer_says_how_much(void **state) {
  (void)state;
  gh_gateway *gw = t_gw_load(example);
  gh_decision *d;
  assert_int_equal(gh_decision_new(&d), GH_OK);
  char block[256], out[4096], tiny[8];
  size_t len = block_of(block, sizeof block, "GET", "/v2/orders/7", "", "", "", "", NULL), need;
  /* decided, but the strings did not fit: the decision stands and gh_decision_strings reads it */
  assert_int_equal(gh_gateway_decide_strings(gw, block, len, NULL, 0, NOW, d, tiny, sizeof tiny, &need), GH_ETOOBIG);
  assert_int_equal(gh_decision_status(d), 401);
  assert_true(need > sizeof tiny);
  size_t got;
  assert_int_equal(gh_decision_strings(d, out, need, &got), GH_OK);
  assert_int_equal(got, need);
  same_as_accessors(d, out, got);
  assert_int_equal(gh_decision_strings(d, out, need - 1, &got), GH_ETOOBIG);
  assert_int_equal(gh_decision_strings(NULL, out, sizeof out, &got), GH_EINVAL);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forward_and_respond),
      cmocka_unit_test(test_malformed_blocks_decide_nothing),
      cmocka_unit_test(test_small_buffer_says_how_much),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
