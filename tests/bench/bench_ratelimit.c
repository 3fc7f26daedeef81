/* limit-decide: in-memory decisions per second on one core, with 1,000 hot
 * keys and with 10 million distinct keys, and the bytes each tracked key costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "gatehouse.h"

typedef struct run {
  gh_limiter *l;
  uint64_t next, keys;
  int64_t now;
} run;

static int hot(void *ud) {
  run *r = ud;
  uint64_t k = r->next++ % r->keys;
  int allowed;
  return gh_limiter_take(r->l, (const char *)&k, sizeof k, 1, r->now, &allowed, NULL, NULL);
}

static int distinct(void *ud) {
  run *r = ud;
  uint64_t k = r->next++;
  int allowed;
  return gh_limiter_take(r->l, (const char *)&k, sizeof k, 1, r->now, &allowed, NULL, NULL);
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.5;
  run r = {0};
  if (gh_limiter_new(&r.l, "hot", GH_LIMIT_GCRA, 1000000, 1000, 0, 0) || gh_limiter_build(r.l)) return 2;
  r.keys = 1000;
  r.now = 1700000000000LL;
  bench_report("limit-decide", "1k-hot-keys", "gatehouse", "ops_per_s", bench_rate(hot, &r, seconds, 3));
  gh_limiter_free(r.l);

  /* ten million distinct keys, each new when it arrives, in a budget of 48 bytes
   * per key (twice the slots: 8-way sets overflow early when nearly full) */
  const uint64_t n = 10000000;
  if (gh_limiter_new(&r.l, "flood", GH_LIMIT_GCRA, 100, 1000, 0, (size_t)(n * 48)) || gh_limiter_build(r.l)) return 2;
  r.next = 0;
  /* exactly n keys, timed once */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (uint64_t i = 0; i < n; i++)
    if (distinct(&r)) return 2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double rate = (double)n / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  bench_report("limit-decide", "10m-keys", "gatehouse", "ops_per_s", rate);
  bench_report("limit-decide", "10m-keys", "gatehouse", "bytes_per_key", (double)gh_limiter_memory(r.l) / (double)gh_limiter_capacity(r.l));
  bench_report("limit-decide", "10m-keys", "gatehouse", "budget_bytes_per_key", (double)gh_limiter_memory(r.l) / (double)n);
  bench_report("limit-decide", "10m-keys", "gatehouse", "tracked_keys", (double)gh_limiter_tracked_keys(r.l));
  bench_report("limit-decide", "10m-keys", "gatehouse", "active_evictions", (double)gh_limiter_active_evictions(r.l));
  gh_limiter_free(r.l);
  return 0;
}
