/* policy-decide: decisions per second on one core over a generated world
 * (tests/oracles/gen-policy-worlds.mjs), plus compile time and memory.
 * Usage: bench_policy WORLD_DIR CASE_NAME [SECONDS] */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "gatehouse.h"

typedef struct run {
  const gh_policy *p;
  gh_policy_request **reqs;
  size_t n, next;
  long allowed;
} run;

static int decide_one(void *ud) {
  run *r = ud;
  int decision;
  const char *rule;
  int rc = gh_policy_decide(r->p, r->reqs[r->next], &decision, &rule);
  r->allowed += decision;
  if (++r->next == r->n) r->next = 0;
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: bench_policy WORLD_DIR CASE [SECONDS]\n"), 2;
  double seconds = argc > 3 ? atof(argv[3]) : 0.5;
  size_t len, qlen;
  char *doc = bench_read_file(argv[1], "policy.json", &len), *qtext = bench_read_file(argv[1], "queries.json", &qlen);
  bench_count_bytes();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  gh_policy *p;
  char msg[256];
  if (gh_policy_parse(&p, doc, len, msg, sizeof msg)) return fprintf(stderr, "policy: %s\n", msg), 2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long compiled = bench_live_bytes();
  free(doc);
  cJSON *queries = cJSON_Parse(qtext), *q;
  free(qtext);
  run r = {p, calloc((size_t)cJSON_GetArraySize(queries), sizeof(gh_policy_request *)), 0, 0, 0};
  cJSON_ArrayForEach(q, queries) {
    gh_policy_request *req;
    gh_policy_request_new(&req);
    const char *s = cJSON_GetObjectItem(q, "subject")->valuestring, *a = cJSON_GetObjectItem(q, "action")->valuestring,
               *res = cJSON_GetObjectItem(q, "resource")->valuestring;
    gh_policy_request_set_subject(req, s, strlen(s));
    gh_policy_request_set_action(req, a, strlen(a));
    gh_policy_request_set_resource(req, res, strlen(res));
    r.reqs[r.n++] = req;
  }
  bench_report("policy-decide", argv[2], "gatehouse", "ops_per_s", bench_rate(decide_one, &r, seconds, 3));
  bench_report("policy-decide", argv[2], "gatehouse", "compile_ms",
               (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  bench_report("policy-decide", argv[2], "gatehouse", "compiled_kib", compiled / 1024.0);
  bench_report("policy-decide", argv[2], "gatehouse", "bytes_per_rule", (double)compiled / (double)gh_policy_rule_count(p));
  for (size_t i = 0; i < r.n; i++) gh_policy_request_free(r.reqs[i]);
  free(r.reqs);
  cJSON_Delete(queries);
  gh_policy_free(p);
  return 0;
}
