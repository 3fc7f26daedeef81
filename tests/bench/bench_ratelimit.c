/* limit-decide: in-memory decisions per second on one core, with keys as the
 * key recipes build them ("subject=...&route=...") and a clock that advances:
 * 1,000 hot keys, and 10 million distinct keys (filled first, then drawn from
 * 12 million: hits mixed with inserts). Facts: bytes per slot and per tracked
 * key. Served to scripts/bench.py (see bench.h). Usage: bench_ratelimit [--once] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "gatehouse.h"

#define KEY_PREFIX "subject=user-"
#define KEY_SUFFIX "&route=orders.list"

typedef struct run {
  gh_limiter *l;
  uint64_t next, keys, rng;
  int64_t now;
  char key[64];
  size_t key_len;
} run;

/* The key of user k, written into the fixed digits of the template: as cheap
 * as a host copying its own key, with no formatting in the timed loop. */
static void key_of(run *r, uint64_t k) {
  char *d = r->key + sizeof KEY_PREFIX - 1 + 8;
  for (int i = 0; i < 8; i++, k /= 10) *--d = (char)('0' + k % 10);
}

static int take(run *r) {
  int allowed;
  if ((r->next & 1023) == 0) r->now++; /* a millisecond every 1,024 decisions */
  return gh_limiter_take(r->l, r->key, r->key_len, 1, r->now, &allowed, NULL, NULL);
}

static int hot(void *ud) {
  run *r = ud;
  key_of(r, r->next++ % r->keys);
  return take(r);
}

static int mixed(void *ud) {
  run *r = ud;
  r->rng ^= r->rng << 13, r->rng ^= r->rng >> 7, r->rng ^= r->rng << 17;
  key_of(r, r->rng % r->keys);
  r->next++;
  return take(r);
}

static run *make(const char *name, uint64_t limit, uint64_t keys, size_t memory) {
  run *r = calloc(1, sizeof *r);
  if (gh_limiter_new(&r->l, name, GH_LIMIT_GCRA, limit, 1000, 0, memory) || gh_limiter_build(r->l)) exit(2);
  r->keys = keys, r->now = 1700000000000LL, r->rng = 88172645463325252ull;
  r->key_len = (size_t)snprintf(r->key, sizeof r->key, "%s00000000%s", KEY_PREFIX, KEY_SUFFIX);
  return r;
}

int main(int argc, char **argv) {
  run *h = make("hot", 1000000, 1000, 0);
  bench_subject("limit-decide", "1k-hot-keys", "gatehouse", hot, h, 1);

  /* ten million keys in a budget of 48 bytes per key (twice the slots: 8-way
   * sets overflow early when nearly full); every key once, untimed, then
   * rounds draw from 12 million: about one decision in six meets a new key */
  const uint64_t n = 10000000;
  run *m = make("flood", 100, n, (size_t)(n * 48));
  double t0 = bench_now();
  for (uint64_t k = 0; k < n; k++, m->next++) {
    key_of(m, k);
    if (take(m)) return 2;
  }
  bench_fact("limit-decide", "10m-keys", "gatehouse", "fill_ops_per_s", (double)n / (bench_now() - t0));
  m->keys = n + n / 5;
  bench_subject("limit-decide", "10m-keys", "gatehouse", mixed, m, 1);
  double memory = (double)gh_limiter_memory(m->l);
  bench_fact("limit-decide", "10m-keys", "gatehouse", "bytes_per_slot", memory / (double)gh_limiter_capacity(m->l));
  bench_fact("limit-decide", "10m-keys", "gatehouse", "bytes_per_tracked_key", memory / (double)gh_limiter_tracked_keys(m->l));
  bench_fact("limit-decide", "10m-keys", "gatehouse", "tracked_keys", (double)gh_limiter_tracked_keys(m->l));
  bench_fact("limit-decide", "10m-keys", "gatehouse", "active_evictions", (double)gh_limiter_active_evictions(m->l));
  return bench_serve(argc, argv);
}
