/* policy-decide: decisions per second on one core over a generated world
 * (tests/oracles/gen-policy-worlds.mjs: every world has the same users and
 * queries, so that worlds differ in their rules alone), each request built
 * once (the decision alone is timed); facts: compile time and memory. Served to
 * scripts/bench.py (see bench.h). Usage: bench_policy WORLD_DIR CASE [--once] */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  int rc = gh_policy_decide(r->p, r->reqs[r->next++ % r->n], &decision, &rule);
  r->allowed += decision;
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: bench_policy WORLD_DIR CASE [--once]\n"), 2;
  const char *name = argv[2];
  size_t len, qlen;
  char *doc = bench_read_file(argv[1], "policy.json", &len), *qtext = bench_read_file(argv[1], "queries.json", &qlen);
  bench_count_bytes();
  double t0 = bench_now();
  gh_policy *p;
  char msg[256];
  if (gh_policy_parse(&p, doc, len, msg, sizeof msg)) return fprintf(stderr, "policy: %s\n", msg), 2;
  double compile_ms = (bench_now() - t0) * 1e3;
  long compiled = bench_live_bytes();
  free(doc);
  cJSON *queries = cJSON_Parse(qtext), *q;
  run *r = calloc(1, sizeof *r);
  r->p = p;
  r->reqs = calloc((size_t)cJSON_GetArraySize(queries), sizeof *r->reqs);
  cJSON_ArrayForEach(q, queries) {
    gh_policy_request *req;
    gh_policy_request_new(&req);
    const char *s = cJSON_GetObjectItem(q, "subject")->valuestring, *a = cJSON_GetObjectItem(q, "action")->valuestring,
               *res = cJSON_GetObjectItem(q, "resource")->valuestring;
    gh_policy_request_set_subject(req, s, strlen(s));
    gh_policy_request_set_action(req, a, strlen(a));
    if (gh_policy_request_set_resource(req, res, strlen(res))) return fprintf(stderr, "bench: resource %s refused\n", res), 2;
    r->reqs[r->n++] = req;
  }
  bench_subject("policy-decide", name, "gatehouse", decide_one, r, 1);
  bench_fact("policy-decide", name, "gatehouse", "compile_ms", compile_ms);
  bench_fact("policy-decide", name, "gatehouse", "compiled_kib", compiled / 1024.0);
  bench_fact("policy-decide", name, "gatehouse", "bytes_per_rule", (double)compiled / (double)gh_policy_rule_count(p));
  return bench_serve(argc - 2, argv + 2);
}
