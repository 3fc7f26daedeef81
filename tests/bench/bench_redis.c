/* limit-decide in strict mode: decisions per second through Redis on one
 * connection, one at a time (redis-benchmark runs the same script beside it,
 * from scripts/bench.sh). Usage: bench_redis PORT [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "gatehouse.h"

typedef struct run {
  gh_limiter *l;
  unsigned next;
} run;

static int strict_take(void *ud) {
  run *r = ud;
  char key[16];
  int n = snprintf(key, sizeof key, "%u", r->next++ % 1000);
  int allowed;
  return gh_limiter_take(r->l, key, (size_t)n, 1, 0, &allowed, NULL, NULL);
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bench_redis PORT [SECONDS]\n"), 2;
  double seconds = argc > 2 ? atof(argv[2]) : 1;
  gh_redis *redis;
  run r = {0};
  if (gh_redis_new(&redis, "127.0.0.1", atoi(argv[1]), 1000, 1) || gh_redis_build(redis) ||
      gh_limiter_new(&r.l, "bench", GH_LIMIT_GCRA, 1000000, 1000, 0, 0) ||
      gh_limiter_set_redis(r.l, redis, GH_REDIS_FAIL_CLOSED) || gh_limiter_build(r.l))
    return 2;
  bench_report("limit-decide", "redis-strict", "gatehouse", "ops_per_s", bench_rate(strict_take, &r, seconds, 3));
  if (gh_limiter_fallbacks(r.l)) return fprintf(stderr, "bench_redis: Redis failed during the run\n"), 1;
  gh_limiter_free(r.l);
  gh_redis_free(redis);
  return 0;
}
