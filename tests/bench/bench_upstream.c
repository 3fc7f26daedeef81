/* upstream-pick: picks per second on one core for each balancer over 16
 * weighted targets (least request releases each pick; Maglev hashes a
 * 16-byte key). */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "gatehouse.h"

typedef struct run {
  gh_upstream *u;
  uint64_t n;
} run;

static int one(void *ud) {
  run *r = ud;
  size_t t;
  char key[16];
  uint64_t k = r->n++;
  for (int i = 0; i < 16; i += 8) __builtin_memcpy(key + i, &k, 8);
  if (gh_upstream_pick(r->u, key, sizeof key, &t)) return 1;
  gh_upstream_release(r->u, t);
  return 0;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.5;
  const char *names[16];
  unsigned weights[16];
  char buf[16][24];
  for (int i = 0; i < 16; i++) {
    snprintf(buf[i], sizeof buf[i], "10.0.0.%d:8080", i + 1);
    names[i] = buf[i];
    weights[i] = 1 + (unsigned)i % 4;
  }
  static const char *const cases[] = {"round-robin", "least-request", "maglev", "random"};
  for (int b = GH_LB_ROUND_ROBIN; b <= GH_LB_RANDOM; b++) {
    run r = {NULL, 0};
    if (gh_upstream_new(&r.u, b, names, weights, 16) || gh_upstream_build(r.u)) return 2;
    double rate = bench_rate(one, &r, seconds, 3);
    bench_report("upstream-pick", cases[b], "gatehouse", "ops_per_s", rate);
    bench_report("upstream-pick", cases[b], "gatehouse", "ns_per_pick", 1e9 / rate);
    gh_upstream_free(r.u);
  }
  return 0;
}
