/* upstream-pick: picks per second on one core for each balancer over 16
 * weighted targets, with requests in flight as a proxy has them: each pick
 * releases the one made eight picks before (Maglev hashes a 16-byte key).
 * Served to scripts/bench.py (see bench.h). Usage: bench_upstream [--once] */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "gatehouse.h"

#define IN_FLIGHT 8

typedef struct run {
  gh_upstream *u;
  uint64_t n;
  size_t ring[IN_FLIGHT];
} run;

static int one(void *ud) {
  run *r = ud;
  size_t t, slot = r->n % IN_FLIGHT;
  char key[16];
  uint64_t k = r->n++;
  for (int i = 0; i < 16; i += 8) __builtin_memcpy(key + i, &k, 8);
  if (r->n > IN_FLIGHT) gh_upstream_release(r->u, r->ring[slot]); /* the oldest request ends */
  if (gh_upstream_pick(r->u, key, sizeof key, &t)) return 1;
  r->ring[slot] = t;
  return 0;
}

int main(int argc, char **argv) {
  static const char *names[16];
  static unsigned weights[16];
  static char buf[16][24];
  for (int i = 0; i < 16; i++) {
    snprintf(buf[i], sizeof buf[i], "10.0.0.%d:8080", i + 1);
    names[i] = buf[i];
    weights[i] = 1 + (unsigned)i % 4;
  }
  static const char *const cases[] = {"round-robin", "least-request", "maglev", "random"};
  for (int b = GH_LB_ROUND_ROBIN; b <= GH_LB_RANDOM; b++) {
    run *r = calloc(1, sizeof *r);
    if (gh_upstream_new(&r->u, b, names, weights, 16) || gh_upstream_build(r->u)) return 2;
    bench_subject("upstream-pick", cases[b], "gatehouse", one, r, 1);
  }
  return bench_serve(argc, argv);
}
