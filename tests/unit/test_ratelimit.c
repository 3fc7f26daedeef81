/* Rate limits (issue 4): each algorithm against hand-computed sequences,
 * calendar quotas, all-or-nothing over several limits, the memory budget,
 * response fields and problems, configuration, allocation failure.
 * Property tests against an exact transcription of the formulas live in
 * bindings/python/tests/test_ratelimit_properties.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

typedef struct step {
  int64_t at, cost;
  const char *expect; /* "allow R 0" or "deny R RETRY" */
} step;

static void run(int algorithm, uint64_t limit, int64_t period_ms, uint64_t burst, const step *steps, size_t n) {
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, "t", algorithm, limit, period_ms, burst, 0), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  for (size_t i = 0; i < n; i++) {
    int allowed;
    uint64_t remaining;
    int64_t retry;
    assert_int_equal(gh_limiter_take(l, "key", 3, (uint64_t)steps[i].cost, steps[i].at, &allowed, &remaining, &retry), GH_OK);
    char got[64];
    snprintf(got, sizeof got, "%s %llu %lld", allowed ? "allow" : "deny", (unsigned long long)remaining,
             (long long)(allowed ? 0 : retry));
    if (strcmp(got, steps[i].expect)) fail_msg("algorithm %d step %zu (t=%lld): got \"%s\", want \"%s\"", algorithm, i,
                                                (long long)steps[i].at, got, steps[i].expect);
  }
  gh_limiter_free(l);
}

/* GCRA, 10/s (T = 100 ms), burst 3: three at once, then one per T. */
static void test_gcra(void **state) {
  (void)state;
  static const step s[] = {{0, 1, "allow 2 0"},   {0, 1, "allow 1 0"},   {0, 1, "allow 0 0"},   {0, 1, "deny 0 100"},
                           {50, 1, "deny 0 50"},  {100, 1, "allow 0 0"}, {100, 1, "deny 0 100"}, {250, 1, "allow 0 0"},
                           {1000, 2, "allow 1 0"}, {1000, 4, "deny 1 -1"}, /* cost above burst: never */
                           {1000, 3, "deny 1 200"}};
  run(GH_LIMIT_GCRA, 10, 1000, 3, s, sizeof s / sizeof s[0]);
}

/* Token bucket, capacity 3, refilled at 10/s, starting full. */
static void test_token_bucket(void **state) {
  (void)state;
  static const step s[] = {{0, 1, "allow 2 0"},   {0, 2, "allow 0 0"},    {0, 1, "deny 0 100"}, {100, 1, "allow 0 0"},
                           {150, 1, "deny 0 50"}, {10000, 1, "allow 2 0"}, /* refilled to capacity, no more */
                           {10000, 3, "deny 2 100"}};
  run(GH_LIMIT_TOKEN_BUCKET, 10, 1000, 3, s, sizeof s / sizeof s[0]);
}

/* Sliding window, 10 per 60 s: rate = prev * (1 - elapsed/period) + curr. */
static void test_sliding_window(void **state) {
  (void)state;
  static const step s[] = {{59000, 8, "allow 2 0"}, {60000, 1, "allow 1 0"},    {75000, 1, "allow 2 0"},
                           {75000, 2, "allow 0 0"}, {75000, 1, "deny 0 7500"},  /* 8*(60-e)/60 + 4 + 1 <= 10 at e = 22.5 s */
                           {82500, 1, "allow 0 0"}, {82500, 6, "deny 0 49500"}, /* the next window: 5*(60-e)/60 + 6 <= 10 at e = 12 s */
                           {200000, 11, "deny 10 -1"}};
  run(GH_LIMIT_SLIDING_WINDOW, 10, 60000, 0, s, sizeof s / sizeof s[0]);
}

/* Fixed window, 3 per 10 s, aligned to multiples of 10 s since the epoch. */
static void test_fixed_window(void **state) {
  (void)state;
  static const step s[] = {{9000, 2, "allow 1 0"},   {9999, 1, "allow 0 0"}, {9999, 1, "deny 0 1"},
                           {10000, 3, "allow 0 0"},  {15000, 1, "deny 0 5000"}};
  run(GH_LIMIT_FIXED_WINDOW, 3, 10000, 0, s, sizeof s / sizeof s[0]);
}

/* Quotas in UTC calendar windows: days, and months of 28 to 31 days. */
static void test_calendar_quotas(void **state) {
  (void)state;
  const int64_t jan31_2024_23h = 1706742000000LL, feb1_2024 = 1706745600000LL, feb29_2024 = 1709164800000LL,
                mar1_2024 = 1709251200000LL;
  static step day[3];
  day[0] = (step){jan31_2024_23h, 2, "allow 0 0"};
  day[1] = (step){jan31_2024_23h + 1000, 1, "deny 0 3599000"}; /* until midnight UTC */
  day[2] = (step){feb1_2024, 1, "allow 1 0"};
  run(GH_LIMIT_QUOTA_DAY, 2, 0, 0, day, 3);
  static step month[3];
  month[0] = (step){feb1_2024, 5, "allow 0 0"};
  month[1] = (step){feb29_2024, 1, "deny 0 86400000"}; /* 2024 is a leap year: Feb 29, then March */
  month[2] = (step){mar1_2024, 1, "allow 4 0"};
  run(GH_LIMIT_QUOTA_MONTH, 5, 0, 0, month, 3);
}

static void test_concurrency(void **state) {
  (void)state;
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, "inflight", GH_LIMIT_CONCURRENCY, 2, 0, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_set_timeout(l, 30000), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  int allowed;
  int64_t retry;
  gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, NULL);
  assert_true(allowed);
  gh_limiter_take(l, "k", 1, 1, 10, &allowed, NULL, NULL);
  assert_true(allowed);
  gh_limiter_take(l, "k", 1, 1, 20, &allowed, NULL, &retry);
  assert_false(allowed);
  assert_int_equal(retry, 30000 + 10 - 20); /* worst case: the slots leak until the timeout */
  assert_int_equal(gh_limiter_release(l, "k", 1, 1), GH_OK);
  gh_limiter_take(l, "k", 1, 1, 30, &allowed, NULL, NULL);
  assert_true(allowed);
  gh_limiter_take(l, "k", 1, 1, 40, &allowed, NULL, NULL);
  assert_false(allowed);
  gh_limiter_take(l, "k", 1, 1, 30030, &allowed, NULL, NULL); /* leaked slots expired */
  assert_true(allowed);
  assert_int_equal(gh_limiter_release(l, "other", 5, 1), GH_ENOTFOUND);
  gh_limiter_free(l);
}

/* Several limits at once, all or nothing: a denial by one consumes nothing from the others. */
static void test_all_or_nothing(void **state) {
  (void)state;
  gh_limiter *per_second, *per_day;
  assert_int_equal(gh_limiter_new(&per_second, "per-second", GH_LIMIT_FIXED_WINDOW, 2, 1000, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_new(&per_day, "per-day", GH_LIMIT_QUOTA_DAY, 3, 0, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_build(per_second), GH_OK);
  assert_int_equal(gh_limiter_build(per_day), GH_OK);
  gh_limiter *both[] = {per_second, per_day};
  const char *keys[] = {"alice", "alice"};
  size_t lens[] = {5, 5}, denied_by;
  int allowed;
  uint64_t remaining;
  int64_t retry;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(gh_limiter_take_all(both, keys, lens, 2, 1, 0, &allowed, &denied_by, &remaining, &retry), GH_OK);
    assert_true(allowed);
  }
  assert_int_equal(remaining, 0); /* the smaller of 0 (per second) and 1 (per day) */
  assert_int_equal(denied_by, 0); /* allowed: the limit with the fewest left, whose fields a response shows */
  /* the per-second limit denies: the day quota is not charged */
  gh_limiter_take_all(both, keys, lens, 2, 1, 500, &allowed, &denied_by, &remaining, &retry);
  assert_false(allowed);
  assert_int_equal(denied_by, 0);
  assert_int_equal(retry, 500);
  gh_limiter_take_all(both, keys, lens, 2, 1, 1000, &allowed, &denied_by, &remaining, &retry);
  assert_true(allowed); /* the third of the day: it was not spent by the denial */
  assert_int_equal(denied_by, 1); /* now the day's quota is the tighter: 0 left, against 1 this second */
  gh_limiter_take_all(both, keys, lens, 2, 1, 1001, &allowed, &denied_by, &remaining, &retry);
  assert_false(allowed);
  assert_int_equal(denied_by, 1);
  assert_int_equal(retry, 86400000 - 1001);
  /* and the per-second window kept its one remaining slot for another key's day */
  const char *bob[] = {"bob", "bob"};
  size_t bob_lens[] = {3, 3};
  gh_limiter_take_all(both, bob, bob_lens, 2, 2, 1002, &allowed, &denied_by, &remaining, &retry);
  assert_true(allowed);
  gh_limiter_free(per_second);
  gh_limiter_free(per_day);
}

/* A flood of distinct keys stays in the budget; idle keys go first; evicting active ones is counted. */
static void test_memory_budget(void **state) {
  (void)state;
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, "flood", GH_LIMIT_GCRA, 10, 1000, 0, 256 * 1024), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  assert_true(gh_limiter_memory(l) <= 256 * 1024 && gh_limiter_memory(l) > 250 * 1024);
  assert_int_equal(gh_limiter_memory(l), gh_limiter_capacity(l) * GH_LIMIT_BYTES_PER_KEY);
  char key[32];
  int allowed;
  for (int i = 0; i < 100000; i++) {
    int n = snprintf(key, sizeof key, "ip-%d", i);
    gh_limiter_take(l, key, (size_t)n, 1, 0, &allowed, NULL, NULL); /* all active at t=0 */
  }
  assert_true(gh_limiter_tracked_keys(l) <= gh_limiter_capacity(l));
  uint64_t evicted = gh_limiter_active_evictions(l);
  assert_true(evicted >= 100000 - gh_limiter_capacity(l));
  /* later every old key is idle: new keys replace idle ones, uncounted. (Checked
   * while the new keys fill 1/16 of the table: random keys fill some 8-way sets
   * with active entries long before the whole table is full.) */
  for (int i = 0; (size_t)i < gh_limiter_capacity(l) / 16; i++) {
    int n = snprintf(key, sizeof key, "late-%d", i);
    gh_limiter_take(l, key, (size_t)n, 1, 1000000, &allowed, NULL, NULL);
  }
  assert_int_equal(gh_limiter_active_evictions(l), evicted);
  gh_limiter_free(l);
}

/* The whole budget is usable: half the slots filled with fresh, active keys
 * evict almost nothing (a regression test: once only half the shards were used). */
static void test_budget_is_usable(void **state) {
  (void)state;
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, "fill", GH_LIMIT_GCRA, 10, 1000, 0, 4 * 1024 * 1024), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  size_t half = gh_limiter_capacity(l) / 2;
  int allowed;
  for (size_t i = 0; i < half; i++) gh_limiter_take(l, (const char *)&i, sizeof i, 1, 0, &allowed, NULL, NULL);
  assert_true(gh_limiter_active_evictions(l) < half / 100);
  assert_true(gh_limiter_tracked_keys(l) > half * 99 / 100);
  gh_limiter_free(l);
}

static void test_fields_and_problems(void **state) {
  (void)state;
  gh_limiter *l, *q;
  assert_int_equal(gh_limiter_new(&l, "per-consumer", GH_LIMIT_GCRA, 10, 1000, 20, 0), GH_OK);
  assert_int_equal(gh_limiter_new(&q, "plan-gold", GH_LIMIT_QUOTA_MONTH, 100000, 0, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  assert_int_equal(gh_limiter_build(q), GH_OK);
  char policy[128], state_field[128], body[512];
  assert_int_equal(gh_limiter_fields(l, 7, 1500, policy, sizeof policy, state_field, sizeof state_field), GH_OK);
  assert_string_equal(policy, "\"per-consumer\";q=10;w=1");
  assert_string_equal(state_field, "\"per-consumer\";r=7;t=2");
  assert_int_equal(gh_limit_retry_after_seconds(1), 1);
  assert_int_equal(gh_limit_retry_after_seconds(1000), 1);
  assert_int_equal(gh_limit_retry_after_seconds(-1), -1);
  assert_int_equal(gh_limiter_problem(l, 250, body, sizeof body), GH_OK);
  assert_non_null(strstr(body, "\"type\":\"urn:gatehouse:problem:rate-limited\""));
  assert_non_null(strstr(body, "\"status\":429"));
  assert_non_null(strstr(body, "\"retry_after\":1"));
  assert_int_equal(gh_limiter_problem(q, -1, body, sizeof body), GH_OK);
  assert_non_null(strstr(body, "\"type\":\"urn:gatehouse:problem:quota-exceeded\""));
  assert_null(strstr(body, "retry_after"));
  cJSON *parsed = cJSON_Parse(body); /* well-formed JSON */
  assert_non_null(parsed);
  cJSON_Delete(parsed);
  /* the older X-RateLimit-* fields: seconds until the reset, or a Unix time */
  char lim[24], rem[24], reset[24];
  assert_int_equal(gh_limiter_legacy_fields(l, 7, 1500, 0, lim, sizeof lim, rem, sizeof rem, reset, sizeof reset), GH_OK);
  assert_string_equal(lim, "10");
  assert_string_equal(rem, "7");
  assert_string_equal(reset, "2");
  assert_int_equal(gh_limiter_legacy_fields(l, 7, 1500, 1700000000200LL, NULL, 0, NULL, 0, reset, sizeof reset), GH_OK);
  assert_string_equal(reset, "1700000002");
  assert_int_equal(gh_limiter_legacy_fields(l, 7, 1500, 0, lim, 2, NULL, 0, NULL, 0), GH_EBUFFER);
  char key[64];
  assert_int_equal(gh_limit_key_for_ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 32, 0, key, sizeof key), GH_OK);
  assert_string_equal(key, "2001:db8:1:2:0:0:0:0/64");
  assert_int_equal(gh_limit_key_for_ip("192.0.2.7", 9, 0, key, sizeof key), GH_OK);
  assert_string_equal(key, "192.0.2.7");
  assert_int_equal(gh_limit_key_for_ip("nope", 4, 0, key, sizeof key), GH_EINVAL);
  gh_limiter_free(l);
  gh_limiter_free(q);
}

static void test_configuration(void **state) {
  (void)state;
  gh_limiter *l;
  char msg[200];
  const char *good = "{\"name\":\"api\",\"algorithm\":\"sliding-window\",\"limit\":100,\"period\":0.5,\"memory\":1048576}";
  assert_int_equal(gh_limiter_parse(&l, good, strlen(good), msg, sizeof msg), GH_OK);
  assert_string_equal(gh_limiter_name(l), "api");
  gh_limiter_free(l);
  static const struct {
    const char *doc, *why;
  } bad[] = {
      {"{\"name\":\"x\",\"algorithm\":\"leaky\",\"limit\":1,\"period\":1}", "algorithm"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":0,\"period\":1}", "limit"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1.5,\"period\":1}", "limit"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1}", "period"},
      {"{\"name\":\"x y\",\"algorithm\":\"gcra\",\"limit\":1,\"period\":1}", "name"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1,\"period\":1,\"burst\":-3}", "burst"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1,\"period\":1,\"per\":1}", "per: unknown member"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":2000000,\"period\":1}", "limit"},
      {"[1,2]", "a limit is a JSON object"}, /* found by fuzz_limit: members of an array have no names */
      /* a timeout that rounds to 0 ms: refused by name, and nothing of the limiter (its whole store) is kept */
      {"{\"name\":\"x\",\"algorithm\":\"concurrency\",\"limit\":1,\"timeout\":0.0001}", "timeout"},
      {"{\"name\":\"x\",\"algorithm\":\"concurrency\",\"limit\":1,\"timeout\":1e300}", "timeout"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1,\"period\":1e300}", "period"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1,\"period\":0.0004}", "period"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1e300,\"period\":1}", "limit"},
      {"{\"name\":\"x\",\"algorithm\":\"gcra\",\"limit\":1,\"period\":1,\"memory\":1e300}", "memory"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    msg[0] = 0;
    l = (gh_limiter *)&msg; /* must come back NULL */
    assert_int_equal(gh_limiter_parse(&l, bad[i].doc, strlen(bad[i].doc), msg, sizeof msg), GH_EPARSE);
    assert_null(l);
    if (!strstr(msg, bad[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msg, bad[i].why);
  }
  assert_int_equal(gh_limiter_new(&l, "x", GH_LIMIT_GCRA, 10, 0, 0, 0), GH_EINVAL); /* no period */
}

/* One lifecycle: configure, build, then decide; setters after build and
 * decisions before it are misuse, never a race on a shared limiter. */
static void test_lifecycle(void **state) {
  (void)state;
  gh_limiter *l;
  int allowed;
  assert_int_equal(gh_limiter_new(&l, "slots", GH_LIMIT_CONCURRENCY, 2, 0, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, NULL), GH_EMISUSE);
  assert_int_equal(gh_limiter_release(l, "k", 1, 1), GH_EMISUSE);
  assert_int_equal(gh_limiter_set_timeout(l, 1000), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_EMISUSE);
  assert_int_equal(gh_limiter_set_timeout(l, 2000), GH_EMISUSE);
  assert_int_equal(gh_limiter_set_failure_mode(l, GH_REDIS_FAIL_OPEN), GH_EMISUSE);
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, NULL), GH_OK);
  assert_true(allowed);
  assert_int_equal(gh_limiter_set_timeout(NULL, 1000), GH_EINVAL);
  assert_int_equal(gh_limiter_build(NULL), GH_EINVAL);
  gh_limiter_free(l);
}

static int parse_one(void) {
  gh_limiter *l = NULL;
  const char *doc = "{\"name\":\"api\",\"algorithm\":\"gcra\",\"limit\":5,\"period\":1,\"burst\":10}";
  int rc = gh_limiter_parse(&l, doc, strlen(doc), NULL, 0);
  int allowed;
  if (!rc) rc = gh_limiter_build(l);
  if (!rc) rc = gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, NULL);
  gh_limiter_free(l);
  return rc;
}

static void test_allocation_failure(void **state) {
  (void)state;
  t_alloc_install();
  long n;
  for (n = 1; n < 1000; n += t_faultsim_step()) {
    t_alloc_fail_at(n);
    int rc = parse_one();
    long made = t_alloc_count();
    if (rc != GH_OK && rc != GH_ENOMEM) fail_msg("failing allocation %ld gave %s", n, gh_err_name(rc));
    if (t_alloc_outstanding()) fail_msg("failing allocation %ld leaked", n);
    if (made < n) break;
  }
  t_alloc_fail_at(0);
  assert_true(n > 3);
  t_alloc_uninstall();
}

static void expect_key(const char *recipe, const gh_limit_key_source *src, int rc, const char *want) {
  gh_limit_key *k;
  char msg[160], out[256];
  size_t len = 0;
  assert_int_equal(gh_limit_key_parse(&k, recipe, msg, sizeof msg), GH_OK);
  assert_int_equal(gh_limit_key_build(k, src, out, sizeof out, &len), rc);
  if (want) {
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
  }
  gh_limit_key_free(k);
}

/* Keys from the identity, the request and composites; alternatives; escaping
 * keeps distinct inputs distinct; the API key itself never appears. */
static void test_key_recipes(void **state) {
  (void)state;
  gh_identity *id = t_identity_with_claims("keys", "{\"sub\":\"alice\",\"client_id\":\"app-1\",\"org\":{\"id\":\"acme&co=1\"},\"plan\":3}");
  const gh_header headers[] = {{"X-Tenant", "blue team", 8, 9}, {"Accept", "*/*", 6, 3}};
  gh_limit_key_source src = {gh_identity_attr, id, "2001:db8:1:2:3:4:5:6", 20, "orders.list", 11, "sk_live_secret", 14,
                             headers, 2, 0};
  expect_key("subject", &src, GH_OK, "subject=alice");
  expect_key("client_id+route", &src, GH_OK, "client_id=app-1&route=orders.list");
  expect_key("ip", &src, GH_OK, "ip=2001:db8:1:2:0:0:0:0/64");
  expect_key("header:x-tenant", &src, GH_OK, "header:x-tenant=blue%20team");
  expect_key("claim:org.id+claim:plan", &src, GH_OK, "claim:org.id=acme%26co%3D1&claim:plan=3");
  expect_key("realm", &src, GH_OK, "realm=keys");
  expect_key("claim:missing|subject", &src, GH_OK, "subject=alice"); /* the first present alternative */
  expect_key("claim:missing|header:x-none", &src, GH_ENOTFOUND, NULL);
  /* api_key: a SHA-256 prefix, never the key */
  gh_limit_key *k;
  char out[256], msg[160];
  size_t len;
  assert_int_equal(gh_limit_key_parse(&k, "api_key", msg, sizeof msg), GH_OK);
  assert_int_equal(gh_limit_key_build(k, &src, out, sizeof out, &len), GH_OK);
  assert_int_equal(len, strlen("api_key=") + 32);
  assert_null(strstr(out, "secret"));
  assert_int_equal(gh_limit_key_build(k, &src, out, 10, &len), GH_EBUFFER);
  assert_int_equal(len, strlen("api_key=") + 32); /* what it needs */
  gh_limit_key_free(k);
  /* without an identity, identity sources are absent; IPv4 stays whole */
  gh_limit_key_source anon = {NULL, NULL, "192.0.2.7", 9, NULL, 0, NULL, 0, NULL, 0, 0};
  expect_key("subject|ip", &anon, GH_OK, "ip=192.0.2.7");
  expect_key("route", &anon, GH_ENOTFOUND, NULL);
  /* recipes that are wrong say why */
  const char *bad[] = {"", "subjects", "subject+", "header:", "claim:a b", "ip|ip|ip|ip|ip", "a+b+c+d+e+f+g+h+i"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    msg[0] = 0;
    assert_int_equal(gh_limit_key_parse(&k, bad[i], msg, sizeof msg), GH_EPARSE);
    assert_null(k);
    assert_true(msg[0]);
  }
  gh_identity_free(id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lifecycle),
      cmocka_unit_test(test_gcra),          cmocka_unit_test(test_token_bucket),  cmocka_unit_test(test_sliding_window),
      cmocka_unit_test(test_fixed_window),  cmocka_unit_test(test_calendar_quotas), cmocka_unit_test(test_concurrency),
      cmocka_unit_test(test_all_or_nothing), cmocka_unit_test(test_memory_budget), cmocka_unit_test(test_budget_is_usable),
      cmocka_unit_test(test_fields_and_problems),
      cmocka_unit_test(test_configuration), cmocka_unit_test(test_allocation_failure), cmocka_unit_test(test_key_recipes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
