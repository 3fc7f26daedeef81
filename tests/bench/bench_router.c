/* route-lookup: lookups per second over the GitHub API route set, every
 * route requested once per round (go-http-routing-benchmark's GithubAll:
 * the patterns requested literally), plus build time and memory for 10,000
 * routes. Usage: bench_router ROUTES_DIR [SECONDS] */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "gatehouse.h"

typedef struct run {
  const gh_router *r;
  char **methods, **paths;
  size_t n;
  gh_route_match m;
} run;

/* One round: every route once. */
static int github_all(void *ud) {
  run *r = ud;
  for (size_t i = 0; i < r->n; i++)
    if (gh_router_match(r->r, r->methods[i], strlen(r->methods[i]), r->paths[i], strlen(r->paths[i]), &r->m) ||
        r->m.status != 200)
      return 1;
  return 0;
}

/* ":name" to "{name}" */
static void braces(const char *in, char *out) {
  for (; *in; in++) {
    if (*in != ':') {
      *out++ = *in;
      continue;
    }
    *out++ = '{';
    while (in[1] && in[1] != '/') *out++ = *++in;
    *out++ = '}';
  }
  *out = 0;
}

static double ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bench_router ROUTES_DIR [SECONDS]\n"), 2;
  double seconds = argc > 2 ? atof(argv[2]) : 0.5;
  size_t len;
  char *text = bench_read_file(argv[1], "github.json", &len);
  cJSON *routes = cJSON_Parse(text), *c;
  free(text);
  run r = {0};
  size_t n = (size_t)cJSON_GetArraySize(routes);
  r.methods = calloc(n, sizeof *r.methods), r.paths = calloc(n, sizeof *r.paths);
  gh_router *b;
  gh_router_new(&b);
  char pattern[512], msg[256];
  cJSON_ArrayForEach(c, routes) {
    const char *method = cJSON_GetObjectItem(c, "method")->valuestring, *path = cJSON_GetObjectItem(c, "path")->valuestring;
    braces(path, pattern);
    if (gh_router_add(b, method, pattern, NULL, NULL, msg, sizeof msg)) return fprintf(stderr, "%s: %s\n", pattern, msg), 2;
    r.methods[r.n] = strdup(method), r.paths[r.n++] = strdup(path);
  }
  gh_router *router = b;
  if (gh_router_build(router)) return 2;
  r.r = router;
  double rounds = bench_rate(github_all, &r, seconds, 3);
  bench_report("route-lookup", "github-all", "gatehouse", "ops_per_s", rounds * (double)r.n);
  bench_report("route-lookup", "github-all", "gatehouse", "ns_per_lookup", 1e9 / (rounds * (double)r.n));
  gh_router_free(router);
  for (size_t i = 0; i < r.n; i++) free(r.methods[i]), free(r.paths[i]);
  free(r.methods), free(r.paths);
  cJSON_Delete(routes);

  /* 10,000 routes: static, parameters and typed parameters, several methods */
  bench_count_bytes();
  static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  gh_router_new(&b);
  for (int i = 0; i < 10000; i++) {
    switch (i % 4) {
    case 0: snprintf(pattern, sizeof pattern, "/api/v%d/res%d", i % 7, i); break;
    case 1: snprintf(pattern, sizeof pattern, "/api/v%d/res%d/{id}", i % 7, i); break;
    case 2: snprintf(pattern, sizeof pattern, "/api/v%d/res%d/{id:int}/items/{item}", i % 7, i); break;
    default: snprintf(pattern, sizeof pattern, "/api/v%d/res%d/{id}/files/{rest*}", i % 7, i); break;
    }
    if (gh_router_add(b, methods[(i / 4) % 4], pattern, NULL, NULL, msg, sizeof msg)) return fprintf(stderr, "%s\n", msg), 2;
  }
  router = b;
  if (gh_router_build(router)) return 2;
  double build_ms = ms_since(&t0);
  long bytes = bench_live_bytes();
  bench_report("route-build", "10k-routes", "gatehouse", "build_ms", build_ms);
  bench_report("route-build", "10k-routes", "gatehouse", "kib", (double)bytes / 1024.0);
  gh_router_free(router);
  return 0;
}
