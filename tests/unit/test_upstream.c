/* Upstream pools (issue 5): smooth weighted round robin's interleaving,
 * Maglev's balance and minimal disruption, power of two choices preferring
 * the less loaded, weighted random, and lock-free picking from threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"

static const char *const NAMES[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};

static size_t pick(gh_upstream *u, const void *key, size_t len) {
  size_t t = 99;
  assert_int_equal(gh_upstream_pick(u, key, len, &t), GH_OK);
  return t;
}

/* nginx's example: weights 5, 1, 1 give a a b a c a a, then again. */
static void test_smooth_round_robin(void **state) {
  (void)state;
  gh_upstream *u;
  const unsigned w[] = {5, 1, 1};
  assert_int_equal(gh_upstream_new(&u, GH_LB_ROUND_ROBIN, NAMES, w, 3), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  char seq[15] = {0};
  for (int i = 0; i < 14; i++) seq[i] = NAMES[pick(u, NULL, 0)][0];
  assert_string_equal(seq, "aabacaaaabacaa");
  gh_upstream_free(u);
}

typedef struct counter {
  gh_upstream *u;
  size_t counts[3];
} counter;

static void *picker(void *arg) {
  counter *c = arg;
  for (int i = 0; i < 7000; i++) {
    size_t t;
    gh_upstream_pick(c->u, NULL, 0, &t);
    c->counts[t]++;
  }
  return NULL;
}

/* Four threads, no lock: the shares stay exact over whole cycles. */
static void test_round_robin_threads(void **state) {
  (void)state;
  gh_upstream *u;
  const unsigned w[] = {5, 1, 1};
  assert_int_equal(gh_upstream_new(&u, GH_LB_ROUND_ROBIN, NAMES, w, 3), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  counter c[4] = {{u, {0}}, {u, {0}}, {u, {0}}, {u, {0}}};
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, picker, &c[i]);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  size_t a = 0, b = 0, cc = 0;
  for (int i = 0; i < 4; i++) a += c[i].counts[0], b += c[i].counts[1], cc += c[i].counts[2];
  assert_int_equal(a, 20000);
  assert_int_equal(b, 4000);
  assert_int_equal(cc, 4000);
  gh_upstream_free(u);
}

/* Maglev: entries shared out evenly; one of ten targets leaving moves about
 * a tenth of the keys (the paper's minimal disruption); the same names give
 * the same table in any process; weights share the keys in proportion. */
static void test_maglev(void **state) {
  (void)state;
  gh_upstream *ten, *nine, *again;
  assert_int_equal(gh_upstream_new(&ten, GH_LB_MAGLEV, NAMES, NULL, 10), GH_OK);
  assert_int_equal(gh_upstream_build(ten), GH_OK);
  assert_int_equal(gh_upstream_new(&again, GH_LB_MAGLEV, NAMES, NULL, 10), GH_OK);
  assert_int_equal(gh_upstream_build(again), GH_OK);
  const char *without_e[] = {"a", "b", "c", "d", "f", "g", "h", "i", "j"};
  assert_int_equal(gh_upstream_new(&nine, GH_LB_MAGLEV, without_e, NULL, 9), GH_OK);
  assert_int_equal(gh_upstream_build(nine), GH_OK);
  size_t per[10] = {0}, moved = 0, on_e = 0, n = 100000;
  for (size_t k = 0; k < n; k++) {
    char key[32];
    int len = snprintf(key, sizeof key, "client-%zu", k);
    size_t t10 = pick(ten, key, (size_t)len), t9 = pick(nine, key, (size_t)len);
    assert_int_equal(pick(again, key, (size_t)len), t10);
    per[t10]++;
    on_e += t10 == 4;
    if (strcmp(NAMES[t10], without_e[t9])) moved++;
  }
  for (int i = 0; i < 10; i++) assert_true(per[i] > n / 10 * 9 / 10 && per[i] < n / 10 * 11 / 10);
  assert_true(moved >= on_e); /* e's keys must move */
  assert_true(moved < n * 15 / 100); /* and few others: about 1/N in all */
  gh_upstream_free(ten), gh_upstream_free(nine), gh_upstream_free(again);

  /* weighted: 4:2:1:1 shares of the keys, within a tenth of each share */
  const unsigned w[] = {4, 2, 1, 1};
  gh_upstream *weighted;
  assert_int_equal(gh_upstream_new(&weighted, GH_LB_MAGLEV, NAMES, w, 4), GH_OK);
  assert_int_equal(gh_upstream_build(weighted), GH_OK);
  size_t got[4] = {0};
  for (size_t k = 0; k < n; k++) {
    char key[32];
    int len = snprintf(key, sizeof key, "client-%zu", k);
    got[pick(weighted, key, (size_t)len)]++;
  }
  for (int i = 0; i < 4; i++) {
    size_t want = n * w[i] / 8;
    assert_true(got[i] > want * 9 / 10 && got[i] < want * 11 / 10);
  }
  gh_upstream_free(weighted);
}

/* Power of two choices: with no releases the in-flight counts stay level,
 * in proportion to the weights; a release makes room. The level is a
 * probability, not a certainty: the gap between the fullest and the emptiest
 * of four targets after 10,000 picks exceeded 3 in about 1 of 120 simulated runs
 * and 7 in none of 20,000, falling about 3.5-fold per step, so 12 fails about
 * once in 10^8 runs; uniform random picks stay within 12 once in 1,000. */
static void test_least_request(void **state) {
  (void)state;
  gh_upstream *u;
  assert_int_equal(gh_upstream_new(&u, GH_LB_LEAST_REQUEST, NAMES, NULL, 4), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  for (int i = 0; i < 10000; i++) pick(u, NULL, 0);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t i = 0; i < 4; i++) {
    uint64_t f = gh_upstream_in_flight(u, i);
    lo = f < lo ? f : lo, hi = f > hi ? f : hi;
  }
  assert_true(hi - lo <= 12);
  gh_upstream_free(u);

  const unsigned w[] = {3, 1};
  assert_int_equal(gh_upstream_new(&u, GH_LB_LEAST_REQUEST, NAMES, w, 2), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  for (int i = 0; i < 400; i++) pick(u, NULL, 0);
  assert_true(gh_upstream_in_flight(u, 0) >= 297 && gh_upstream_in_flight(u, 0) <= 303);
  /* the busier one (per weight) is never chosen over the idle one */
  for (int i = 0; i < 100; i++) gh_upstream_release(u, 1);
  assert_int_equal(gh_upstream_in_flight(u, 1), 0);
  assert_int_equal(pick(u, NULL, 0), 1);
  gh_upstream_release(u, 1), gh_upstream_release(u, 1); /* never below zero */
  assert_int_equal(gh_upstream_in_flight(u, 1), 0);
  gh_upstream_free(u);
}

static void test_weighted_random_and_errors(void **state) {
  (void)state;
  gh_upstream *u;
  const unsigned w[] = {1, 3};
  assert_int_equal(gh_upstream_new(&u, GH_LB_RANDOM, NAMES, w, 2), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  size_t second = 0;
  for (int i = 0; i < 100000; i++) second += pick(u, NULL, 0);
  assert_true(second > 74000 && second < 76000);
  assert_string_equal(gh_upstream_target(u, 1), "b");
  assert_null(gh_upstream_target(u, 2));
  gh_upstream_free(u);
  const unsigned zero[] = {0}, big[] = {1001};
  assert_int_equal(gh_upstream_new(&u, GH_LB_RANDOM, NAMES, NULL, 0), GH_EINVAL);
  assert_int_equal(gh_upstream_new(&u, GH_LB_RANDOM, NAMES, zero, 1), GH_EINVAL);
  assert_int_equal(gh_upstream_new(&u, GH_LB_RANDOM, NAMES, big, 1), GH_EINVAL);
  assert_int_equal(gh_upstream_new(&u, 9, NAMES, NULL, 1), GH_EINVAL);
  const char *empty[] = {""};
  assert_int_equal(gh_upstream_new(&u, GH_LB_MAGLEV, empty, NULL, 1), GH_EINVAL);
  static const char *many[GH_UPSTREAM_MAX_TARGETS + 1];
  for (size_t i = 0; i <= GH_UPSTREAM_MAX_TARGETS; i++) many[i] = "x";
  assert_int_equal(gh_upstream_new(&u, GH_LB_RANDOM, many, NULL, GH_UPSTREAM_MAX_TARGETS + 1), GH_ETOOBIG);
  unsigned heavy[200];
  for (int i = 0; i < 200; i++) heavy[i] = 1000;
  assert_int_equal(gh_upstream_new(&u, GH_LB_ROUND_ROBIN, many, heavy, 200), GH_ETOOBIG); /* a cycle of 200,000 */
}

static int64_t clock_now;
static int64_t fixed_clock(void *ud) {
  (void)ud;
  return clock_now;
}

/* Outlier detection with a fixed clock: consecutive failures eject for
 * base x times ejected (capped), a success resets the count, at most the
 * configured share is out at once, picks skip the ejected, they return, and
 * the count of ejections decays while a target stays in. */
static void test_outlier_ejection(void **state) {
  (void)state;
  gh_set_clock(fixed_clock, NULL);
  clock_now = 1000000;
  gh_upstream *u;
  assert_int_equal(gh_upstream_new(&u, GH_LB_ROUND_ROBIN, NAMES, NULL, 4), GH_OK);
  gh_outlier_config c = {3, 10000, 25000, 50};
  assert_int_equal(gh_upstream_set_outlier(u, &c), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  t_log_capture(GH_LOG_WARN);
  gh_upstream_report(u, 0, 0, clock_now), gh_upstream_report(u, 0, 0, clock_now);
  gh_upstream_report(u, 0, 1, clock_now); /* a success in between resets the count */
  gh_upstream_report(u, 0, 0, clock_now), gh_upstream_report(u, 0, 0, clock_now);
  assert_true(gh_upstream_is_healthy(u, 0, clock_now));
  gh_upstream_report(u, 0, 0, clock_now);
  assert_false(gh_upstream_is_healthy(u, 0, clock_now));
  for (int i = 0; i < 40; i++) {
    size_t t = pick(u, NULL, 0);
    assert_int_not_equal(t, 0);
    gh_upstream_release(u, t);
  }
  /* a second ejection is allowed (2 of 4 = 50%), a third is not */
  for (int i = 0; i < 3; i++) gh_upstream_report(u, 1, 0, clock_now);
  for (int i = 0; i < 3; i++) gh_upstream_report(u, 2, 0, clock_now);
  assert_false(gh_upstream_is_healthy(u, 1, clock_now));
  assert_true(gh_upstream_is_healthy(u, 2, clock_now));
  assert_int_equal(gh_upstream_ejections(u), 2);
  /* each ejection told to the operator, with its length */
  assert_int_equal(t_log_count("2 upstream a: ejected for 10000 ms after 3 failures in a row (ejection 1)"), 1);
  assert_int_equal(t_log_count("2 upstream b: ejected for 10000 ms"), 1);
  assert_int_equal(t_log_count("upstream c:"), 0); /* the third was not ejected */
  t_log_stop();
  /* back after base x 1 */
  clock_now += 10000;
  assert_true(gh_upstream_is_healthy(u, 0, clock_now));
  /* ejected again: base x 2 = 20 s; a third time: capped at 25 s */
  for (int i = 0; i < 3; i++) gh_upstream_report(u, 0, 0, clock_now);
  assert_false(gh_upstream_is_healthy(u, 0, clock_now + 19999));
  assert_true(gh_upstream_is_healthy(u, 0, clock_now + 20000));
  clock_now += 20000;
  for (int i = 0; i < 3; i++) gh_upstream_report(u, 0, 0, clock_now);
  assert_false(gh_upstream_is_healthy(u, 0, clock_now + 24999));
  assert_true(gh_upstream_is_healthy(u, 0, clock_now + 25000));
  /* the count decays by one per base time spent healthy: 3 ejections, then
   * 25 s back plus 20 s calm (two bases) leave one: this is the second, 20 s */
  clock_now += 25000 + 20000;
  for (int i = 0; i < 3; i++) gh_upstream_report(u, 0, 0, clock_now);
  assert_false(gh_upstream_is_healthy(u, 0, clock_now + 19999));
  assert_true(gh_upstream_is_healthy(u, 0, clock_now + 20000));
  /* and a long calm starts again at the base */
  clock_now += 20000 + 3600000;
  for (int i = 0; i < 3; i++) gh_upstream_report(u, 0, 0, clock_now);
  assert_false(gh_upstream_is_healthy(u, 0, clock_now + 9999));
  assert_true(gh_upstream_is_healthy(u, 0, clock_now + 10000));
  gh_upstream_free(u);
  gh_set_clock(NULL, NULL);
}

/* Active checks: due targets in turn, thresholds in a row, and panic routing
 * when every target is down. */
static void test_active_health(void **state) {
  (void)state;
  gh_set_clock(fixed_clock, NULL);
  clock_now = 5000;
  gh_upstream *u;
  assert_int_equal(gh_upstream_new(&u, GH_LB_MAGLEV, NAMES, NULL, 2), GH_OK);
  gh_health_check_config c = {1000, 2, 2};
  assert_int_equal(gh_upstream_set_health_check(u, &c), GH_OK);
  assert_int_equal(gh_upstream_build(u), GH_OK);
  size_t t;
  int64_t wait;
  assert_int_equal(gh_upstream_health_due(u, clock_now, &t, &wait), GH_OK);
  assert_int_equal(t, 0);
  assert_int_equal(gh_upstream_health_due(u, clock_now, &t, &wait), GH_OK);
  assert_int_equal(t, 1);
  assert_int_equal(gh_upstream_health_due(u, clock_now, &t, &wait), GH_ENOTFOUND);
  assert_int_equal(wait, 1000);
  /* b fails twice in a row: down; Maglev sends b's keys to a */
  gh_upstream_health_result(u, 1, 0);
  assert_true(gh_upstream_is_healthy(u, 1, clock_now));
  gh_upstream_health_result(u, 1, 0);
  assert_false(gh_upstream_is_healthy(u, 1, clock_now));
  for (int k = 0; k < 200; k++) {
    size_t got = pick(u, &k, sizeof k);
    assert_int_equal(got, 0);
    gh_upstream_release(u, got);
  }
  /* both down: panic routing still answers, and counts it */
  gh_upstream_health_result(u, 0, 0), gh_upstream_health_result(u, 0, 0);
  pick(u, "k", 1);
  assert_int_equal(gh_upstream_panics(u), 1);
  /* passes bring b back */
  gh_upstream_health_result(u, 1, 1), gh_upstream_health_result(u, 1, 1);
  assert_true(gh_upstream_is_healthy(u, 1, clock_now));
  gh_upstream_free(u);
  gh_set_clock(NULL, NULL);
}

/* The circuit breaker caps requests in flight; the retry budget caps retries
 * in flight by a share of requests (with a floor), and backoff is jittered
 * within its exponential cap. */
static void test_breaker_and_retries(void **state) {
  (void)state;
  gh_upstream *u;
  size_t t[12];
  assert_int_equal(gh_upstream_new(&u, GH_LB_RANDOM, NAMES, NULL, 3), GH_OK);
  assert_int_equal(gh_upstream_set_max_requests(u, 10), GH_OK);
  assert_int_equal(gh_upstream_set_max_pending(u, 2), GH_OK); /* requests waiting for a connection */
  gh_retry_config rc = {20, 1, 3, 100, 300};
  assert_int_equal(gh_upstream_set_retry(u, &rc), GH_OK);
  gh_retry_config bad = {101, 1, 1, 10, 20};
  assert_int_equal(gh_upstream_set_retry(u, &bad), GH_EINVAL);
  assert_int_equal(gh_upstream_pick(u, NULL, 0, &t[0]), GH_EMISUSE); /* configuring: not shared yet */
  assert_int_equal(gh_upstream_build(u), GH_OK);
  assert_int_equal(gh_upstream_set_max_requests(u, 20), GH_EMISUSE); /* shared: no more changes */
  for (int i = 0; i < 10; i++) assert_int_equal(gh_upstream_pick(u, NULL, 0, &t[i]), GH_OK);
  assert_int_equal(gh_upstream_pick(u, NULL, 0, &t[10]), GH_EDENIED);
  assert_int_equal(gh_upstream_overflows(u), 1);
  gh_upstream_release(u, t[0]);
  assert_int_equal(gh_upstream_pick(u, NULL, 0, &t[0]), GH_OK);

  /* requests waiting for a connection: at most 2 */
  assert_int_equal(gh_upstream_pending_begin(u), GH_OK);
  assert_int_equal(gh_upstream_pending_begin(u), GH_OK);
  assert_int_equal(gh_upstream_pending_begin(u), GH_EDENIED);
  assert_int_equal(gh_upstream_overflows(u), 2);
  gh_upstream_pending_end(u);
  assert_int_equal(gh_upstream_pending_begin(u), GH_OK);
  gh_upstream_pending_end(u), gh_upstream_pending_end(u);

  int64_t delay;
  /* 10 in flight: 20% allows 2 retries in flight */
  assert_int_equal(gh_upstream_retry_begin(u, 1, &delay), GH_OK);
  assert_true(delay >= 0 && delay <= 100);
  assert_int_equal(gh_upstream_retry_begin(u, 2, &delay), GH_OK);
  assert_true(delay >= 0 && delay <= 200);
  assert_int_equal(gh_upstream_retry_begin(u, 1, &delay), GH_EDENIED); /* the budget is spent */
  gh_upstream_retry_done(u);
  assert_int_equal(gh_upstream_retry_begin(u, 3, &delay), GH_OK);
  assert_true(delay >= 0 && delay <= 300); /* 100 x 4 capped at 300 */
  assert_int_equal(gh_upstream_retry_begin(u, 4, &delay), GH_EDENIED); /* enough retries for one request */
  gh_upstream_retry_done(u), gh_upstream_retry_done(u);
  for (int i = 0; i < 10; i++) gh_upstream_release(u, t[i]);
  /* nothing in flight: the floor still allows one */
  assert_int_equal(gh_upstream_retry_begin(u, 1, &delay), GH_OK);
  assert_int_equal(gh_upstream_retry_begin(u, 1, &delay), GH_EDENIED);
  gh_upstream_retry_done(u);
  gh_upstream_free(u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_smooth_round_robin), cmocka_unit_test(test_round_robin_threads),
      cmocka_unit_test(test_maglev),             cmocka_unit_test(test_least_request),
      cmocka_unit_test(test_weighted_random_and_errors), cmocka_unit_test(test_outlier_ejection),
      cmocka_unit_test(test_active_health),              cmocka_unit_test(test_breaker_and_retries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
