/* route-lookup: lookups per second over the GitHub API route set, every
 * route requested once per round (go-http-routing-benchmark's GithubAll:
 * the patterns requested literally), plus build time and memory for 10,000
 * routes. Served to scripts/bench.py (see bench.h). Usage: bench_router ROUTES_DIR [--once] */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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


int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bench_router ROUTES_DIR [--once]\n"), 2;
  /* 10,000 routes: static, parameters and typed parameters, several methods;
   * built first, under the counting allocator (installed before anything else) */
  bench_count_bytes();
  static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
  char pattern[512], msg[256];
  double t0 = bench_now();
  gh_router *big;
  gh_router_new(&big);
  for (int i = 0; i < 10000; i++) {
    switch (i % 4) {
    case 0: snprintf(pattern, sizeof pattern, "/api/v%d/res%d", i % 7, i); break;
    case 1: snprintf(pattern, sizeof pattern, "/api/v%d/res%d/{id}", i % 7, i); break;
    case 2: snprintf(pattern, sizeof pattern, "/api/v%d/res%d/{id:int}/items/{item}", i % 7, i); break;
    default: snprintf(pattern, sizeof pattern, "/api/v%d/res%d/{id}/files/{rest*}", i % 7, i); break;
    }
    if (gh_router_add(big, methods[(i / 4) % 4], pattern, NULL, NULL, msg, sizeof msg)) return fprintf(stderr, "%s\n", msg), 2;
  }
  if (gh_router_build(big)) return 2;
  bench_fact("route-build", "10k-routes", "gatehouse", "build_ms", (bench_now() - t0) * 1e3);
  bench_fact("route-build", "10k-routes", "gatehouse", "kib", (double)bench_live_bytes() / 1024.0);
  gh_router_free(big);

  size_t len;
  char *text = bench_read_file(argv[1], "github.json", &len);
  cJSON *routes = cJSON_Parse(text), *c;
  free(text);
  static run r;
  size_t n = (size_t)cJSON_GetArraySize(routes);
  r.methods = calloc(n, sizeof *r.methods), r.paths = calloc(n, sizeof *r.paths);
  gh_router *router;
  gh_router_new(&router);
  cJSON_ArrayForEach(c, routes) {
    const char *method = cJSON_GetObjectItem(c, "method")->valuestring, *path = cJSON_GetObjectItem(c, "path")->valuestring;
    braces(path, pattern);
    if (gh_router_add(router, method, pattern, NULL, NULL, msg, sizeof msg)) return fprintf(stderr, "%s: %s\n", pattern, msg), 2;
    r.methods[r.n] = strdup(method), r.paths[r.n++] = strdup(path);
  }
  if (gh_router_build(router)) return 2;
  r.r = router;
  bench_subject("route-lookup", "github-all", "gatehouse", github_all, &r, (double)r.n);
  return bench_serve(argc - 1, argv + 1);
}
