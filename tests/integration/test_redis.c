/* Cluster-wide state against a real redis-server (issue 4): three gateway
 * instances sharing one limit in strict mode, all-or-nothing in Redis, a
 * Redis restart that forgot the script, every failure mode with the circuit
 * breaker, recovery, synced mode's bounds, concurrency slots held across
 * gateways, the DPoP replay cache and revocation. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "gatehouse.h"
#include "helpers.h"
#include "redis_server.h"

static redis_server server;
/* Windows of 10^9 ms (about 11.6 days) do not roll over during a test. */
#define LONG_PERIOD 1000000000LL

static int setup(void **state) {
  (void)state;
  return redis_server_start(&server, 0);
}

static int teardown(void **state) {
  (void)state;
  redis_server_stop(&server, 0);
  return 0;
}

/* A client (with its breaker when trip_after is not 0), built. */
static gh_redis *client_with(int trip_after, int64_t cooldown_ms) {
  gh_redis *r;
  assert_int_equal(gh_redis_new(&r, "127.0.0.1", server.port, 500, 2), GH_OK);
  if (trip_after) assert_int_equal(gh_redis_set_breaker(r, trip_after, cooldown_ms), GH_OK);
  assert_int_equal(gh_redis_build(r), GH_OK);
  return r;
}

/* A strict-mode limiter on its own client, built (slot_timeout_ms 0: the default). */
static gh_limiter *strict_with(const char *name, int algorithm, uint64_t limit, int64_t period, gh_redis *client,
                               int mode, int64_t slot_timeout_ms) {
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, name, algorithm, limit, period, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_redis(l, client, mode), GH_OK);
  if (slot_timeout_ms) assert_int_equal(gh_limiter_set_timeout(l, slot_timeout_ms), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  assert_int_equal(gh_limiter_set_timeout(l, 1000), GH_EMISUSE); /* shared from here: no more changes */
  return l;
}

static gh_limiter *strict(const char *name, int algorithm, uint64_t limit, int64_t period, gh_redis **client, int mode) {
  *client = client_with(0, 0);
  return strict_with(name, algorithm, limit, period, *client, mode, 0);
}

typedef struct gateway {
  gh_limiter *l;
  gh_redis *r;
  int allowed;
} gateway;

static void *hammer(void *arg) {
  gateway *g = arg;
  for (int i = 0; i < 100; i++) {
    int allowed;
    if (gh_limiter_take(g->l, "shared-key", 10, 1, 0, &allowed, NULL, NULL) == GH_OK) g->allowed += allowed;
  }
  return NULL;
}

/* Three instances, three threads, one limit: strict mode never allows more. */
static void test_three_gateways_one_limit(void **state) {
  (void)state;
  gateway g[3];
  for (int i = 0; i < 3; i++) {
    g[i].l = strict("orders", GH_LIMIT_FIXED_WINDOW, 100, LONG_PERIOD, &g[i].r, GH_REDIS_FAIL_CLOSED);
    g[i].allowed = 0;
  }
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, hammer, &g[i]);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  assert_int_equal(g[0].allowed + g[1].allowed + g[2].allowed, 100);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(gh_limiter_fallbacks(g[i].l), 0);
    gh_limiter_free(g[i].l);
    gh_redis_free(g[i].r);
  }
}

/* GCRA with Redis's clock: burst at once, then denied with a retry-after. */
static void test_gcra_in_redis(void **state) {
  (void)state;
  gh_redis *r;
  gh_limiter *l = strict("gcra", GH_LIMIT_GCRA, 5, 60000, &r, GH_REDIS_FAIL_CLOSED);
  int allowed;
  uint64_t remaining;
  int64_t retry;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, &remaining, &retry), GH_OK);
    assert_true(allowed);
    assert_int_equal(remaining, 4 - i);
  }
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, &remaining, &retry), GH_OK);
  assert_false(allowed);
  assert_true(retry > 11000 && retry <= 12000); /* one emission interval, T = 12 s, minus what passed */
  gh_limiter_free(l);
  gh_redis_free(r);
}

typedef struct prober {
  gh_redis *r;
  pthread_barrier_t *start;
} prober;

static void *probe(void *arg) {
  prober *p = arg;
  pthread_barrier_wait(p->start);
  gh_redis_ping(p->r);
  return NULL;
}

/* Half-open: after the cooldown exactly one of many callers probes. The
 * "server" accepts connections (the kernel's backlog) and never answers, so
 * a probe holds until its timeout and every caller meets the breaker then. */
static void test_breaker_probes_once(void **state) {
  (void)state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t addr_len = sizeof addr;
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(listen(fd, 64), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &addr_len), 0);
  gh_redis *r;
  assert_int_equal(gh_redis_new(&r, "127.0.0.1", ntohs(addr.sin_port), 300, 8), GH_OK);
  assert_int_equal(gh_redis_ping(r), GH_EMISUSE); /* configuring: not shared yet */
  assert_int_equal(gh_redis_set_breaker(r, 1, 50), GH_OK);
  assert_int_equal(gh_redis_build(r), GH_OK);
  assert_int_equal(gh_redis_set_breaker(r, 2, 50), GH_EMISUSE);
  assert_int_equal(gh_redis_ping(r), GH_EIO); /* times out: the breaker opens */
  assert_int_equal(gh_redis_failures(r), 1);
  assert_int_equal(gh_redis_ping(r), GH_EIO); /* open: fails at once, not counted */
  assert_int_equal(gh_redis_failures(r), 1);
  struct timespec cooldown = {0, 80 * 1000000};
  nanosleep(&cooldown, NULL);
  enum { CALLERS = 6 };
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, CALLERS);
  pthread_t t[CALLERS];
  prober p = {r, &start};
  for (int i = 0; i < CALLERS; i++) pthread_create(&t[i], NULL, probe, &p);
  for (int i = 0; i < CALLERS; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&start);
  assert_int_equal(gh_redis_failures(r), 2); /* one probe, not six */
  gh_redis_free(r);
  close(fd);
}

/* Limiter "a" with key "b:c" and limiter "a:b" with key "c" count apart:
 * names may hold ':', so a Redis key carries the name's length. */
static void test_redis_keys_do_not_collide(void **state) {
  (void)state;
  gh_redis *r1, *r2;
  gh_limiter *a = strict("a", GH_LIMIT_FIXED_WINDOW, 1, LONG_PERIOD, &r1, GH_REDIS_FAIL_CLOSED);
  gh_limiter *ab = strict("a:b", GH_LIMIT_FIXED_WINDOW, 1, LONG_PERIOD, &r2, GH_REDIS_FAIL_CLOSED);
  int allowed;
  assert_int_equal(gh_limiter_take(a, "b:c", 3, 1, 0, &allowed, NULL, NULL), GH_OK);
  assert_true(allowed);
  assert_int_equal(gh_limiter_take(ab, "c", 1, 1, 0, &allowed, NULL, NULL), GH_OK);
  assert_true(allowed); /* its own counter, not a's */
  assert_int_equal(gh_limiter_take(ab, "c", 1, 1, 0, &allowed, NULL, NULL), GH_OK);
  assert_false(allowed);
  gh_limiter_free(a);
  gh_limiter_free(ab);
  gh_redis_free(r1);
  gh_redis_free(r2);
}

/* Several limits in one script: a denial by one consumes nothing from the other. */
static void test_all_or_nothing_in_redis(void **state) {
  (void)state;
  gh_redis *r;
  gh_limiter *a = strict("a", GH_LIMIT_FIXED_WINDOW, 5, LONG_PERIOD, &r, GH_REDIS_FAIL_CLOSED), *b;
  assert_int_equal(gh_limiter_new(&b, "b", GH_LIMIT_SLIDING_WINDOW, 3, LONG_PERIOD, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_redis(b, r, GH_REDIS_FAIL_CLOSED), GH_OK);
  assert_int_equal(gh_limiter_build(b), GH_OK);
  gh_limiter *both[] = {a, b};
  const char *keys[] = {"x", "x"};
  size_t lens[] = {1, 1}, denied_by;
  int allowed;
  for (int i = 0; i < 3; i++) {
    gh_limiter_take_all(both, keys, lens, 2, 1, 0, &allowed, &denied_by, NULL, NULL);
    assert_true(allowed);
  }
  gh_limiter_take_all(both, keys, lens, 2, 1, 0, &allowed, &denied_by, NULL, NULL);
  assert_false(allowed);
  assert_int_equal(denied_by, 1);
  int taken = 0;
  for (int i = 0; i < 5; i++) {
    gh_limiter_take(a, "x", 1, 1, 0, &allowed, NULL, NULL);
    taken += allowed;
  }
  assert_int_equal(taken, 2); /* 3 + 2 = 5: the denied request took nothing from a */
  gh_limiter_free(a);
  gh_limiter_free(b);
  gh_redis_free(r);
}

typedef struct slot_user {
  gh_limiter *l;
  gh_redis *r;
  atomic_int *in_flight, *most;
  int allowed;
} slot_user;

/* Holds a slot 50 times, waiting a little after each denial. */
static void *hold_slots(void *arg) {
  slot_user *u = arg;
  for (int attempts = 0; u->allowed < 50 && attempts < 20000; attempts++) {
    int allowed;
    if (gh_limiter_take(u->l, "upstream", 8, 1, 0, &allowed, NULL, NULL) != GH_OK || !allowed) {
      struct timespec later = {0, 100 * 1000};
      nanosleep(&later, NULL);
      continue;
    }
    u->allowed++;
    int now = atomic_fetch_add(u->in_flight, 1) + 1, seen = atomic_load(u->most);
    while (now > seen && !atomic_compare_exchange_weak(u->most, &seen, now)) {
    }
    struct timespec work = {0, 500 * 1000};
    nanosleep(&work, NULL);
    atomic_fetch_sub(u->in_flight, 1); /* before the slot is given back */
    assert_int_equal(gh_limiter_release(u->l, "upstream", 8, 1), GH_OK);
  }
  return NULL;
}

/* Concurrency in Redis: three gateways, one slot each at a time, never hold
 * more than the limit of two between them; every slot comes back; a release
 * never takes the count below zero. */
static void test_concurrency_in_redis(void **state) {
  (void)state;
  atomic_int in_flight = 0, most = 0;
  slot_user u[3];
  for (int i = 0; i < 3; i++) {
    gh_redis *r;
    gh_limiter *l = strict("slots", GH_LIMIT_CONCURRENCY, 2, 0, &r, GH_REDIS_FAIL_CLOSED);
    u[i] = (slot_user){l, r, &in_flight, &most, 0};
  }
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, hold_slots, &u[i]);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  assert_true(atomic_load(&most) <= 2); /* three threads could hold three */
  for (int i = 0; i < 3; i++) assert_int_equal(u[i].allowed, 50); /* slots keep coming back */
  int allowed;
  uint64_t remaining;
  int64_t retry;
  for (int i = 0; i < 2; i++) { /* all given back */
    assert_int_equal(gh_limiter_take(u[0].l, "upstream", 8, 1, 0, &allowed, &remaining, NULL), GH_OK);
    assert_true(allowed);
    assert_int_equal(remaining, 1 - i);
  }
  assert_int_equal(gh_limiter_take(u[1].l, "upstream", 8, 1, 0, &allowed, NULL, &retry), GH_OK);
  assert_false(allowed);
  assert_true(retry > 0 && retry <= 60000); /* until the slots would lapse */
  assert_int_equal(gh_limiter_release(u[2].l, "upstream", 8, 100), GH_OK); /* more than held: down to zero */
  for (int i = 0; i < 2; i++) {
    assert_int_equal(gh_limiter_take(u[1].l, "upstream", 8, 1, 0, &allowed, NULL, NULL), GH_OK);
    assert_true(allowed);
  }
  assert_int_equal(gh_limiter_take(u[1].l, "upstream", 8, 1, 0, &allowed, NULL, NULL), GH_OK);
  assert_false(allowed);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(gh_limiter_fallbacks(u[i].l), 0);
    gh_limiter_free(u[i].l);
    gh_redis_free(u[i].r);
  }
}

/* Slots that a crashed gateway never gave back lapse after the timeout
 * (Redis's clock); a release while Redis is down is counted, not lost. */
static void test_concurrency_slots_lapse(void **state) {
  (void)state;
  gh_redis *r;
  r = client_with(0, 0);
  gh_limiter *l = strict_with("lapse", GH_LIMIT_CONCURRENCY, 2, 0, r, GH_REDIS_FAIL_LOCAL, 300);
  int allowed;
  int64_t retry;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, NULL), GH_OK);
    assert_true(allowed);
  }
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, &retry), GH_OK);
  assert_false(allowed);
  assert_true(retry > 0 && retry <= 300);
  struct timespec wait = {0, 400 * 1000 * 1000};
  nanosleep(&wait, NULL);
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, 0, &allowed, NULL, NULL), GH_OK);
  assert_true(allowed); /* the two leaked slots lapsed */

  redis_server_stop(&server, 1);
  assert_int_equal(gh_limiter_take(l, "k", 1, 1, 5000, &allowed, NULL, NULL), GH_OK);
  assert_true(allowed); /* the local fallback's own slot */
  assert_int_equal(gh_limiter_release(l, "k", 1, 1), GH_OK);
  assert_int_equal(gh_limiter_fallbacks(l), 2);
  for (int i = 0; i < 2; i++) { /* given back locally: both local slots free */
    assert_int_equal(gh_limiter_take(l, "k", 1, 1, 5000, &allowed, NULL, NULL), GH_OK);
    assert_true(allowed);
  }
  assert_int_equal(redis_server_start(&server, server.port), 0);
  gh_limiter_free(l);
  gh_redis_free(r);
}

static int64_t elapsed_ms(struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Redis killed mid-run: each failure mode holds, the breaker stops hammering,
 * and a restarted Redis (which forgot the script) is used again. */
static void test_failure_modes_and_recovery(void **state) {
  (void)state;
  gh_redis *r_open, *r_closed, *r_local;
  r_open = client_with(3, 300);
  gh_limiter *open = strict_with("fo", GH_LIMIT_FIXED_WINDOW, 2, LONG_PERIOD, r_open, GH_REDIS_FAIL_OPEN, 0);
  gh_limiter *closed = strict("fc", GH_LIMIT_FIXED_WINDOW, 2, LONG_PERIOD, &r_closed, GH_REDIS_FAIL_CLOSED);
  gh_limiter *local = strict("fl", GH_LIMIT_FIXED_WINDOW, 2, LONG_PERIOD, &r_local, GH_REDIS_FAIL_LOCAL);
  int allowed;
  assert_int_equal(gh_limiter_take(closed, "k", 1, 1, 0, &allowed, NULL, NULL), GH_OK); /* scripts loaded */
  assert_true(allowed);
  t_log_capture(GH_LOG_INFO); /* what an operator hears of the outage */
  redis_server_stop(&server, 1);

  for (int i = 0; i < 5; i++) {
    assert_int_equal(gh_limiter_take(open, "k", 1, 1, 1000, &allowed, NULL, NULL), GH_OK);
    assert_true(allowed); /* fail-open */
    assert_int_equal(gh_limiter_take(closed, "k", 1, 1, 1000, &allowed, NULL, NULL), GH_OK);
    assert_false(allowed); /* fail-closed */
  }
  int local_allowed = 0;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(gh_limiter_take(local, "k", 1, 1, 1000, &allowed, NULL, NULL), GH_OK);
    local_allowed += allowed; /* the local limit: 2 per window on this instance */
  }
  assert_int_equal(local_allowed, 2);
  /* once per limiter per outage, with its failure mode; the breaker once */
  assert_int_equal(t_log_count("2 limiter fo: Redis unreachable, failing open (allow) until it answers"), 1);
  assert_int_equal(t_log_count("2 limiter fc: Redis unreachable, failing closed (deny)"), 1);
  assert_int_equal(t_log_count("2 limiter fl: Redis unreachable, deciding locally"), 1);
  assert_int_equal(t_log_count("circuit breaker open after 3 failures in a row; calls fail at once for 300 ms"), 1);
  assert_int_equal(gh_limiter_fallbacks(open), 5);
  assert_int_equal(gh_limiter_fallbacks(local), 5);
  /* the breaker is open: no connection attempts, an immediate answer */
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 100; i++) gh_limiter_take(open, "k", 1, 1, 1000, &allowed, NULL, NULL);
  assert_true(elapsed_ms(&t0) < 100);
  assert_int_equal(gh_redis_ping(r_open), GH_EIO);

  assert_int_equal(redis_server_start(&server, server.port), 0);
  struct timespec wait = {0, 400 * 1000 * 1000};
  nanosleep(&wait, NULL); /* past the breaker's cooldown */
  assert_int_equal(gh_redis_ping(r_open), GH_OK);
  uint64_t before = gh_limiter_fallbacks(open);
  assert_int_equal(gh_limiter_take(open, "k2", 2, 1, 2000, &allowed, NULL, NULL), GH_OK); /* NOSCRIPT, reloaded */
  assert_true(allowed);
  gh_limiter_take(open, "k2", 2, 1, 2000, &allowed, NULL, NULL);
  gh_limiter_take(open, "k2", 2, 1, 2000, &allowed, NULL, NULL);
  assert_false(allowed); /* strict again: the limit is 2 */
  assert_int_equal(gh_limiter_fallbacks(open), before);
  assert_int_equal(t_log_count("1 limiter fo: Redis answers again, decisions are strict again"), 1);
  assert_int_equal(t_log_count("circuit breaker closed, Redis answers again"), 1);
  t_log_stop();
  gh_limiter_free(open), gh_limiter_free(closed), gh_limiter_free(local);
  gh_redis_free(r_open), gh_redis_free(r_closed), gh_redis_free(r_local);
}

static void test_replay_and_revocation(void **state) {
  (void)state;
  gh_redis *a, *b;
  assert_int_equal(gh_redis_new(&a, "127.0.0.1", server.port, 500, 1), GH_OK);
  assert_int_equal(gh_redis_new(&b, "127.0.0.1", server.port, 500, 1), GH_OK);
  assert_int_equal(gh_redis_revoke(a, "t", 1, gh_now_ms() + 1000), GH_EMISUSE); /* not built */
  assert_int_equal(gh_redis_build(a), GH_OK);
  assert_int_equal(gh_redis_build(b), GH_OK);
  int64_t later = gh_now_ms() + 60000;
  /* one DPoP proof, two gateway instances: only the first accepts it */
  assert_int_equal(gh_redis_dpop_replay(a, "proof-1", 7, later), 1);
  assert_int_equal(gh_redis_dpop_replay(b, "proof-1", 7, later), 0);
  assert_int_equal(gh_redis_dpop_replay(b, "proof-2", 7, later), 1);
  assert_int_equal(gh_redis_is_revoked(b, "tok-9", 5), 0);
  assert_int_equal(gh_redis_revoke(a, "tok-9", 5, later), GH_OK);
  assert_int_equal(gh_redis_is_revoked(b, "tok-9", 5), 1);
  gh_redis_free(a);
  gh_redis_free(b);
}

typedef struct tally {
  int done, allowed;
} tally;

static void count(void *ud, int allowed, uint64_t remaining, int64_t retry_after_ms) {
  (void)remaining, (void)retry_after_ms;
  tally *t = ud;
  t->done++;
  t->allowed += allowed;
}

/* A host's event loop: poll the client's socket for what it asks, hand events back. */
static void loop_until(gh_redis_async *a, tally *t, int want) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (t->done < want && elapsed_ms(&t0) < 3000) {
    int fd = gh_redis_async_fd(a), ev = gh_redis_async_events(a);
    if (fd < 0) break;
    struct pollfd p = {fd, (short)((ev & GH_REDIS_READABLE ? POLLIN : 0) | (ev & GH_REDIS_WRITABLE ? POLLOUT : 0)), 0};
    int64_t next = gh_redis_async_next_timeout(a);
    if (poll(&p, 1, next >= 0 && next < 50 ? (int)next : 50) <= 0) {
      gh_redis_async_handle(a, 0); /* the timeout */
      continue;
    }
    gh_redis_async_handle(a, (p.revents & (POLLIN | POLLERR | POLLHUP) ? GH_REDIS_READABLE : 0) |
                                 (p.revents & POLLOUT ? GH_REDIS_WRITABLE : 0));
  }
}

/* The asynchronous API on a host-driven loop: strict answers, then the
 * failure mode when Redis dies, then strict again after it returns. */
static void test_async(void **state) {
  (void)state;
  gh_redis_async *a;
  gh_limiter *l;
  assert_int_equal(gh_redis_async_new(&a, "127.0.0.1", server.port), GH_OK);
  assert_int_equal(gh_limiter_new(&l, "async", GH_LIMIT_FIXED_WINDOW, 10, LONG_PERIOD, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_failure_mode(l, GH_REDIS_FAIL_CLOSED), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  tally t = {0, 0};
  for (int i = 0; i < 25; i++) assert_int_equal(gh_limiter_take_async(l, a, "k", 1, 1, 0, count, &t), GH_OK);
  assert_int_equal(gh_redis_async_pending(a), 25); /* queued, nothing decided yet */
  loop_until(a, &t, 25);
  assert_int_equal(t.done, 25);
  assert_int_equal(t.allowed, 10);
  assert_int_equal(gh_limiter_fallbacks(l), 0);

  redis_server_stop(&server, 1);
  tally down = {0, 0};
  for (int i = 0; i < 5; i++) assert_int_equal(gh_limiter_take_async(l, a, "k2", 2, 1, 0, count, &down), GH_OK);
  loop_until(a, &down, 5);
  assert_int_equal(down.done, 5); /* every decision completes */
  assert_int_equal(down.allowed, 0); /* fail-closed */
  assert_int_equal(gh_limiter_fallbacks(l), 5);

  assert_int_equal(redis_server_start(&server, server.port), 0);
  tally up = {0, 0};
  for (int i = 0; i < 3; i++) assert_int_equal(gh_limiter_take_async(l, a, "k3", 2, 1, 0, count, &up), GH_OK);
  loop_until(a, &up, 3);
  assert_int_equal(up.allowed, 3); /* a fresh connection, the script loaded again */
  assert_int_equal(gh_limiter_fallbacks(l), 5);
  /* decisions still pending when the client goes away complete too */
  tally late = {0, 0};
  gh_limiter_take_async(l, a, "k4", 2, 1, 0, count, &late);
  gh_redis_async_free(a);
  assert_int_equal(late.done, 1);
  gh_limiter_free(l);
}

/* Concurrency through the asynchronous client: a release queued before a
 * take is applied first (one connection keeps the order). */
static void test_async_concurrency(void **state) {
  (void)state;
  gh_redis_async *a;
  gh_limiter *l;
  assert_int_equal(gh_redis_async_new(&a, "127.0.0.1", server.port), GH_OK);
  assert_int_equal(gh_limiter_new(&l, "async-slots", GH_LIMIT_CONCURRENCY, 2, 0, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_failure_mode(l, GH_REDIS_FAIL_CLOSED), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  tally t = {0, 0};
  for (int i = 0; i < 3; i++) assert_int_equal(gh_limiter_take_async(l, a, "k", 1, 1, 0, count, &t), GH_OK);
  loop_until(a, &t, 3);
  assert_int_equal(t.allowed, 2);
  assert_int_equal(gh_limiter_release_async(l, a, "k", 1, 1), GH_OK);
  tally after = {0, 0};
  for (int i = 0; i < 2; i++) assert_int_equal(gh_limiter_take_async(l, a, "k", 1, 1, 0, count, &after), GH_OK);
  loop_until(a, &after, 2);
  assert_int_equal(after.allowed, 1); /* one slot came back */
  assert_int_equal(gh_limiter_fallbacks(l), 0);
  gh_redis_async_free(a);
  gh_limiter_free(l);
}

typedef struct retaker {
  gh_limiter *l;
  gh_redis_async *a;
  tally t;
  int64_t next_timeout; /* seen right after the second take was queued */
} retaker;

static void retake(void *ud, int allowed, uint64_t remaining, int64_t retry_after_ms) {
  retaker *r = ud;
  count(&r->t, allowed, remaining, retry_after_ms);
  if (r->t.done == 1) {
    assert_int_equal(gh_limiter_take_async(r->l, r->a, "k", 1, 1, 0, retake, r), GH_OK);
    r->next_timeout = gh_redis_async_next_timeout(r->a);
  }
}

/* A take queued from inside a completion callback, while the connection
 * that completed it is dropped on a timeout, keeps its own deadline. */
static void test_async_take_from_callback(void **state) {
  (void)state;
  retaker r = {.t = {0, 0}};
  assert_int_equal(gh_redis_async_new(&r.a, "127.0.0.1", server.port), GH_OK);
  assert_int_equal(gh_redis_async_set_timeout(r.a, 150), GH_OK);
  assert_int_equal(gh_limiter_new(&r.l, "retake", GH_LIMIT_FIXED_WINDOW, 10, LONG_PERIOD, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_failure_mode(r.l, GH_REDIS_FAIL_OPEN), GH_OK);
  assert_int_equal(gh_limiter_build(r.l), GH_OK);
  kill(server.pid, SIGSTOP);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(gh_limiter_take_async(r.l, r.a, "k", 1, 1, 0, retake, &r), GH_OK);
  loop_until(r.a, &r.t, 2);
  long waited = elapsed_ms(&t0);
  kill(server.pid, SIGCONT);
  assert_int_equal(r.t.done, 2); /* the second timed out too, rather than waiting forever */
  assert_true(r.next_timeout >= 0 && r.next_timeout <= 150);
  assert_true(waited >= 280 && waited < 2500); /* loop_until gives up at 3000 */
  assert_int_equal(gh_redis_async_timeouts(r.a), 2);
  gh_redis_async_free(r.a);
  gh_limiter_free(r.l);
}

/* A Redis that hangs (SIGSTOP): commands time out, every decision completes
 * through the failure mode, and once Redis runs again so does strict mode. */
static void test_async_timeout(void **state) {
  (void)state;
  gh_redis_async *a;
  gh_limiter *l;
  assert_int_equal(gh_redis_async_new(&a, "127.0.0.1", server.port), GH_OK);
  assert_int_equal(gh_redis_async_set_timeout(a, 150), GH_OK);
  assert_int_equal(gh_limiter_new(&l, "hang", GH_LIMIT_FIXED_WINDOW, 10, LONG_PERIOD, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_failure_mode(l, GH_REDIS_FAIL_OPEN), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  tally warm = {0, 0};
  assert_int_equal(gh_limiter_take_async(l, a, "k", 1, 1, 0, count, &warm), GH_OK);
  loop_until(a, &warm, 1);
  assert_int_equal(warm.allowed, 1);
  assert_int_equal(gh_redis_async_next_timeout(a), -1); /* nothing pending */

  kill(server.pid, SIGSTOP);
  tally hung = {0, 0};
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 4; i++) assert_int_equal(gh_limiter_take_async(l, a, "k", 1, 1, 0, count, &hung), GH_OK);
  assert_true(gh_redis_async_next_timeout(a) <= 150);
  loop_until(a, &hung, 4);
  long waited = elapsed_ms(&t0);
  kill(server.pid, SIGCONT);
  assert_int_equal(hung.done, 4);
  assert_int_equal(hung.allowed, 4); /* fail-open */
  assert_true(waited >= 140 && waited < 1000);
  assert_int_equal(gh_redis_async_timeouts(a), 1);
  assert_int_equal(gh_limiter_fallbacks(l), 4);
  assert_int_equal(gh_redis_async_pending(a), 0);

  tally back = {0, 0};
  assert_int_equal(gh_limiter_take_async(l, a, "k", 1, 1, 0, count, &back), GH_OK);
  loop_until(a, &back, 1);
  assert_int_equal(back.allowed, 1);
  assert_int_equal(gh_limiter_fallbacks(l), 4); /* strict again */
  gh_redis_async_free(a);
  gh_limiter_free(l);
}

/* A monthly quota in strict mode: Redis's clock, UTC calendar months; the
 * denial waits until the first of next month. */
static void test_monthly_quota_in_redis(void **state) {
  (void)state;
  gh_redis *r;
  gh_limiter *l = strict("month", GH_LIMIT_QUOTA_MONTH, 3, 0, &r, GH_REDIS_FAIL_CLOSED);
  int allowed;
  uint64_t remaining;
  int64_t retry;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(gh_limiter_take(l, "tenant", 6, 1, 0, &allowed, &remaining, &retry), GH_OK);
    assert_true(allowed);
    assert_int_equal(remaining, 2 - i);
  }
  assert_int_equal(gh_limiter_take(l, "tenant", 6, 1, 0, &allowed, &remaining, &retry), GH_OK);
  assert_false(allowed);
  time_t now = time(NULL);
  struct tm utc;
  gmtime_r(&now, &utc);
  struct tm next = {0};
  next.tm_year = utc.tm_mon == 11 ? utc.tm_year + 1 : utc.tm_year;
  next.tm_mon = (utc.tm_mon + 1) % 12;
  next.tm_mday = 1;
  int64_t want = ((int64_t)timegm(&next) - (int64_t)now) * 1000;
  assert_true(retry > want - 5000 && retry < want + 5000);
  assert_int_equal(gh_limiter_fallbacks(l), 0);
  gh_limiter_free(l);
  gh_redis_free(r);
}

static gh_limiter *synced_with(const char *name, uint64_t limit, gh_redis *client) {
  gh_limiter *l;
  assert_int_equal(gh_limiter_new(&l, name, GH_LIMIT_FIXED_WINDOW, limit, LONG_PERIOD, 0, 1 << 20), GH_OK);
  assert_int_equal(gh_limiter_set_synced(l, client), GH_OK);
  assert_int_equal(gh_limiter_build(l), GH_OK);
  return l;
}

static gh_limiter *synced(const char *name, uint64_t limit, gh_redis **client) {
  *client = client_with(0, 0);
  return synced_with(name, limit, *client);
}

static int take_n(gh_limiter *l, const char *key, int n) {
  int total = 0, allowed;
  for (int i = 0; i < n; i++)
    if (gh_limiter_take(l, key, strlen(key), 1, 0, &allowed, NULL, NULL) == GH_OK) total += allowed;
  return total;
}

/* Synced mode, step by step: local decisions, counts meet in Redis at each
 * sync, and an instance stops once the total it sees reaches the limit. */
static void test_synced_counts_meet(void **state) {
  (void)state;
  gh_redis *r[3];
  gh_limiter *l[3];
  for (int i = 0; i < 3; i++) l[i] = synced("synced", 30, &r[i]);
  for (int i = 0; i < 3; i++) assert_int_equal(take_n(l[i], "k", 10), 10);
  for (int i = 0; i < 3; i++) assert_int_equal(gh_limiter_sync(l[i], 0), GH_OK); /* totals seen: 10, 20, 30 */
  assert_int_equal(take_n(l[2], "k", 5), 0);
  assert_int_equal(take_n(l[1], "k", 50), 10); /* stale view: the remainder it saw */
  assert_int_equal(take_n(l[0], "k", 50), 20);
  for (int i = 0; i < 3; i++) assert_int_equal(gh_limiter_sync(l[i], 0), GH_OK);
  for (int i = 0; i < 3; i++) assert_int_equal(take_n(l[i], "k", 5), 0); /* all see 60 >= 30 */
  /* strict and synced are exclusive; synced is for windows that are counts */
  gh_limiter *gcra, *fixed;
  assert_int_equal(gh_limiter_set_redis(l[0], r[0], GH_REDIS_FAIL_OPEN), GH_EMISUSE); /* built */
  assert_int_equal(gh_limiter_new(&fixed, "f", GH_LIMIT_FIXED_WINDOW, 10, 1000, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_set_synced(fixed, r[0]), GH_OK);
  assert_int_equal(gh_limiter_set_redis(fixed, r[0], GH_REDIS_FAIL_OPEN), GH_EINVAL);
  gh_limiter_free(fixed);
  assert_int_equal(gh_limiter_new(&gcra, "g", GH_LIMIT_GCRA, 10, 1000, 0, 0), GH_OK);
  assert_int_equal(gh_limiter_set_synced(gcra, r[0]), GH_EUNSUPPORTED);
  assert_int_equal(gh_limiter_build(gcra), GH_OK);
  assert_int_equal(gh_limiter_sync(gcra, 0), GH_EINVAL); /* not synced */
  gh_limiter_free(gcra);
  for (int i = 0; i < 3; i++) gh_limiter_free(l[i]), gh_redis_free(r[i]);
}

typedef struct synced_gateway {
  gh_limiter *l;
  int allowed, sync_errors;
} synced_gateway;

static void *hammer_synced(void *arg) {
  synced_gateway *g = arg;
  for (int i = 0; i < 400; i++) {
    g->allowed += take_n(g->l, "shared", 1);
    if (i % 10 == 9 && gh_limiter_sync(g->l, 0) != GH_OK) g->sync_errors++;
  }
  return NULL;
}

/* Three instances in threads: never fewer than the limit (a denial means the
 * limit was seen), never more than each instance's own limit, and all stop
 * once their view is refreshed. */
static void test_synced_bounds(void **state) {
  (void)state;
  synced_gateway g[3];
  gh_redis *r[3];
  for (int i = 0; i < 3; i++) g[i] = (synced_gateway){synced("bounds", 100, &r[i]), 0, 0};
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, hammer_synced, &g[i]);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  int total = g[0].allowed + g[1].allowed + g[2].allowed;
  assert_true(total >= 100);
  assert_true(total <= 300);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(g[i].sync_errors, 0);
    assert_true(g[i].allowed <= 100);
  }
  /* an instance refreshes a key's view at the sync after it admitted on it */
  int late = 0;
  for (int i = 0; i < 3; i++) late += take_n(g[i].l, "shared", 3);
  assert_true(late <= 9);
  for (int i = 0; i < 3; i++) assert_int_equal(gh_limiter_sync(g[i].l, 0), GH_OK);
  for (int i = 0; i < 3; i++) assert_int_equal(take_n(g[i].l, "shared", 3), 0);
  for (int i = 0; i < 3; i++) gh_limiter_free(g[i].l), gh_redis_free(r[i]);
}

/* Redis down: decisions go on locally, the sync fails and keeps the counts,
 * and the next sync after Redis is back pushes them. */
static void test_synced_survives_outage(void **state) {
  (void)state;
  gh_redis *ra, *rb;
  ra = client_with(1, 100);
  gh_limiter *a = synced_with("outage", 10, ra), *b = synced("outage", 10, &rb);
  assert_int_equal(gh_redis_ping(ra), GH_OK);
  redis_server_stop(&server, 1);
  assert_int_equal(take_n(a, "k", 5), 5);
  assert_int_equal(gh_limiter_sync(a, 0), GH_EIO);
  assert_int_equal(gh_limiter_fallbacks(a), 1);
  assert_int_equal(redis_server_start(&server, server.port), 0);
  struct timespec wait = {0, 200 * 1000 * 1000};
  int rc = GH_EIO;
  for (int attempt = 0; attempt < 3 && rc; attempt++) { /* a connection from before the restart fails once */
    nanosleep(&wait, NULL);                           /* past the breaker's cooldown */
    rc = gh_limiter_sync(a, 0);
  }
  assert_int_equal(rc, GH_OK);
  assert_int_equal(gh_limiter_sync(a, 0), GH_OK); /* nothing left to push */
  int allowed;
  uint64_t remaining;
  assert_int_equal(take_n(b, "k", 1), 1);
  assert_int_equal(gh_limiter_sync(b, 0), GH_OK); /* total 6: a's five arrived once */
  assert_int_equal(gh_limiter_take(b, "k", 1, 1, 0, &allowed, &remaining, NULL), GH_OK);
  assert_true(allowed);
  assert_int_equal(remaining, 3);
  gh_limiter_free(a), gh_limiter_free(b);
  gh_redis_free(ra), gh_redis_free(rb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_three_gateways_one_limit), cmocka_unit_test(test_gcra_in_redis),
      cmocka_unit_test(test_redis_keys_do_not_collide), cmocka_unit_test(test_async_take_from_callback), cmocka_unit_test(test_breaker_probes_once),
      cmocka_unit_test(test_all_or_nothing_in_redis),  cmocka_unit_test(test_replay_and_revocation),
      cmocka_unit_test(test_failure_modes_and_recovery), cmocka_unit_test(test_async),
      cmocka_unit_test(test_synced_counts_meet),       cmocka_unit_test(test_synced_bounds),
      cmocka_unit_test(test_synced_survives_outage),   cmocka_unit_test(test_async_timeout),
      cmocka_unit_test(test_monthly_quota_in_redis),   cmocka_unit_test(test_concurrency_in_redis),
      cmocka_unit_test(test_concurrency_slots_lapse),  cmocka_unit_test(test_async_concurrency),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
