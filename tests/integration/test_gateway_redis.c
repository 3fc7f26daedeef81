/* The gateway's cluster-wide limits with a real redis-server: two gateway
 * instances loading one configuration share a strict limit (every decision
 * in Redis) and a synced one (local counts merged by gh_gateway_sync), and
 * each limit's failure mode decides when Redis is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "redis_server.h"

static redis_server server;
static const int64_t NOW = 1800000000000;

static int setup(void **state) {
  (void)state;
  return redis_server_start(&server, 0);
}

static int teardown(void **state) {
  (void)state;
  redis_server_stop(&server, 0);
  return 0;
}

static gh_gateway *instance(void) {
  char doc[2048], errors[2048];
  snprintf(doc, sizeof doc,
           "{\"gatehouse\":1,\"redis\":{\"host\":\"127.0.0.1\",\"port\":%d,\"timeout\":0.2},"
           "\"limits\":{"
           "\"gw-strict\":{\"algorithm\":\"fixed-window\",\"limit\":3,\"period\":600,\"key\":\"ip\",\"mode\":\"strict\","
           "\"failure_mode\":\"closed\",\"memory\":65536},"
           "\"gw-open\":{\"algorithm\":\"fixed-window\",\"limit\":100,\"period\":600,\"key\":\"ip\",\"mode\":\"strict\","
           "\"failure_mode\":\"open\",\"memory\":65536},"
           "\"gw-synced\":{\"algorithm\":\"fixed-window\",\"limit\":4,\"period\":600,\"key\":\"ip\",\"mode\":\"synced\","
           "\"memory\":65536}},"
           "\"upstreams\":{\"u\":{\"targets\":[\"http://127.0.0.1:1\"]}},"
           "\"routes\":[{\"method\":\"GET\",\"path\":\"/strict\",\"limits\":[\"gw-strict\"],\"upstream\":\"u\"},"
           "{\"method\":\"GET\",\"path\":\"/open\",\"limits\":[\"gw-open\"],\"upstream\":\"u\"},"
           "{\"method\":\"GET\",\"path\":\"/synced\",\"limits\":[\"gw-synced\"],\"upstream\":\"u\"}]}",
           server.port);
  gh_gateway *gw;
  assert_int_equal(gh_gateway_new(&gw), GH_OK);
  if (gh_gateway_load(gw, doc, strlen(doc), errors, sizeof errors)) fail_msg("%s", errors);
  return gw;
}

static int decide_from(gh_gateway *gw, const char *path, const char *ip) {
  gh_decision *d;
  gh_decision_new(&d);
  gh_request r = {.method = "GET", .method_len = 3, .path = path, .path_len = strlen(path), .client_ip = ip,
                  .client_ip_len = strlen(ip)};
  gh_gateway_decide(gw, &r, NOW, d);
  int status = gh_decision_verdict(d) == GH_VERDICT_FORWARD ? 200 : gh_decision_status(d);
  gh_decision_free(d);
  return status;
}

static int decide(gh_gateway *gw, const char *path) { return decide_from(gw, path, "192.0.2.44"); }

static void test_strict_limit_across_instances(void **state) {
  (void)state;
  gh_gateway *a = instance(), *b = instance();
  assert_int_equal(gh_gateway_decide_may_wait(a), 1); /* strict limits: a host decides off its loop */
  assert_int_equal(decide(a, "/strict"), 200);
  assert_int_equal(decide(b, "/strict"), 200);
  assert_int_equal(decide(a, "/strict"), 200);
  assert_int_equal(decide(b, "/strict"), 429); /* the fourth, whichever instance sees it */
  assert_int_equal(decide(a, "/strict"), 429);
  gh_gateway_free(a);
  gh_gateway_free(b);
}

static void test_synced_limit_across_instances(void **state) {
  (void)state;
  gh_gateway *a = instance(), *b = instance();
  for (int i = 0; i < 3; i++) assert_int_equal(decide(a, "/synced"), 200);
  assert_int_equal(gh_gateway_sync(a, NOW), GH_OK); /* A's three reach Redis */
  assert_int_equal(decide(b, "/synced"), 200);      /* B's first, on its own view */
  assert_int_equal(gh_gateway_sync(b, NOW), GH_OK); /* pushes it, reads the cluster's four back */
  assert_int_equal(decide(b, "/synced"), 429);
  /* A's view of the key is refreshed at the sync after it admits on it (docs/ratelimits.md, synced mode):
   * one more there, within the documented overshoot, then A stops too */
  assert_int_equal(decide(a, "/synced"), 200);
  assert_int_equal(gh_gateway_sync(a, NOW), GH_OK);
  assert_int_equal(decide(a, "/synced"), 429);
  gh_gateway_free(a);
  gh_gateway_free(b);
}

static void test_failure_modes(void **state) {
  (void)state;
  gh_gateway *gw = instance();
  assert_int_equal(decide(gw, "/open"), 200);
  assert_int_equal(decide_from(gw, "/synced", "192.0.2.45"), 200); /* a count to push */
  redis_server_stop(&server, 1);
  assert_int_not_equal(decide(gw, "/strict"), 200); /* closed: no decision without Redis */
  assert_int_equal(decide(gw, "/open"), 200);       /* open: let through */
  assert_int_equal(gh_gateway_sync(gw, NOW), GH_EIO);
  gh_gateway_free(gw);
  assert_int_equal(redis_server_start(&server, server.port), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_strict_limit_across_instances),
                                     cmocka_unit_test(test_synced_limit_across_instances),
                                     cmocka_unit_test(test_failure_modes)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
