/* gateway-decide: whole decisions per second on one core (route + cached
 * JWT + policy + two limits + upstream pick, then completion), beside the
 * same parts called one after another without the pipeline, and each part
 * alone; the p99 of one decision is a fact. 256 callers (distinct tokens,
 * already verified once: the verifier's cache answers), each request at a
 * later microsecond. Served to scripts/bench.py (see bench.h).
 *
 * With --bindings DIR it instead writes the same world to DIR/world.json (the
 * configuration, the callers' Authorization values, the key set) and serves
 * the calls the Python and Go bindings make, in C, for
 * tests/bench/bench_bindings.py and tests/bench/bindings-go to be set beside.
 * Usage: bench_gateway [--once | --bindings DIR [--once]] */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "gatehouse.h"

#define CALLERS 256

static const char *POLICY =
    "{\"roles\":{\"admin\":{\"inherits\":[\"editor\"]},\"editor\":{\"inherits\":[\"viewer\"]},\"viewer\":{}},"
    "\"rules\":[{\"id\":\"read\",\"effect\":\"allow\",\"roles\":[\"viewer\"],\"actions\":[\"GET\"],"
    "\"resources\":[\"/orders/*\"]},{\"id\":\"no-offsite-delete\",\"effect\":\"deny\",\"subjects\":[\"*\"],"
    "\"actions\":[\"DELETE\"],\"resources\":[\"/orders/*\"],\"when\":{\"not\":{\"ip\":[\"10.0.0.0/8\"]}}}]}";

static const char *CONFIG =
    "{\"gatehouse\":1,"
    "\"realms\":{\"staff\":{\"providers\":[{\"name\":\"corp\",\"type\":\"jwt\",\"issuer\":\"https://id.example.com\","
    "\"audience\":\"api://orders\",\"algorithms\":[\"ES256\"],\"roles_claim\":\"roles\",\"jwks\":%s}]}},"
    "\"policies\":{\"orders\":%s},"
    "\"limits\":{\"per-caller\":{\"algorithm\":\"gcra\",\"limit\":1000000,\"period\":1,\"burst\":1000000,"
    "\"key\":\"subject\",\"memory\":4194304},\"per-caller-day\":{\"algorithm\":\"quota-day\",\"limit\":1048576,"
    "\"key\":\"subject\",\"memory\":4194304}},"
    "\"upstreams\":{\"orders\":{\"targets\":[\"http://10.0.0.1:80\",\"http://10.0.0.2:80\",\"http://10.0.0.3:80\"]}},"
    "\"apis\":[{\"name\":\"orders\",\"versions\":[{\"version\":\"v2\",\"base_path\":\"/v2\",\"realm\":\"staff\","
    "\"policy\":\"orders\",\"limits\":[\"per-caller\",\"per-caller-day\"],\"upstream\":\"orders\",\"routes\":["
    "{\"name\":\"get-order\",\"method\":\"GET\",\"path\":\"/orders/{id}\"},"
    "{\"name\":\"create-order\",\"method\":\"POST\",\"path\":\"/orders\"}]}]}]%s}";

/* The analytics member: metrics off, or on (the default) with an access log. */
#define ANALYTICS_OFF ",\"analytics\":{\"metrics\":false}"
#define ANALYTICS_ON ""

/* An access-log sink as a host would have one: each line appended to a buffer that is written out when full. */
static struct {
  char buf[1 << 16];
  size_t used;
  uint64_t lines;
} access_log;

static void log_line(void *ud, const char *line, size_t len) {
  (void)ud;
  if (access_log.used + len > sizeof access_log.buf) access_log.used = 0; /* "written out" */
  memcpy(access_log.buf + access_log.used, line, len);
  access_log.used += len;
  access_log.lines++;
}

typedef struct world {
  char *doc; /* the configuration loaded */
  gh_gateway *gw;
  gh_decision *d;
  char auth[CALLERS][1024];
  gh_header headers[CALLERS][3];
  gh_request req[CALLERS];
  uint64_t n;
  int64_t now;
  /* the parts, built alone from the same definitions */
  gh_router *router;
  gh_realm *realm;
  gh_jwt_verifier *verifier;
  gh_auth_request *aq;
  gh_policy *policy;
  gh_policy_request *pq;
  gh_limiter *limiters[2];
  gh_limit_key *key;
  gh_upstream *pool;
  gh_route_match match;
} world;

static int decide(void *ud) {
  world *w = ud;
  size_t i = w->n++ % CALLERS;
  w->now += 1; /* a millisecond later */
  gh_gateway_decide(w->gw, &w->req[i], w->now, w->d);
  if (gh_decision_verdict(w->d) != GH_VERDICT_FORWARD) {
    char why[2048];
    gh_decision_explain(w->d, why, sizeof why, NULL);
    fprintf(stderr, "bench_gateway: not forwarded: %s\n", why);
    return 1;
  }
  gh_gateway_complete(w->gw, w->d, 200, 1, 100, 1000);
  return 0;
}

/* ---- the parts ---- */

static int part_route(world *w, size_t i) {
  gh_route_request rq = {.method = "GET", .method_len = 3, .path = w->req[i].path, .path_len = w->req[i].path_len};
  return gh_router_match_request(w->router, &rq, &w->match) || w->match.status != 200;
}

static int part_authenticate(world *w, size_t i, gh_identity **id) {
  int reason;
  char challenge[256];
  gh_auth_request_reset(w->aq);
  gh_auth_request_set_authorization(w->aq, w->headers[i][0].value, w->headers[i][0].value_len);
  return gh_realm_authenticate(w->realm, w->aq, w->now, id, &reason, challenge, sizeof challenge);
}

static int part_policy(world *w, const gh_identity *id) {
  gh_policy_request_reset(w->pq);
  const char *sub = gh_identity_subject(id);
  gh_policy_request_set_subject(w->pq, sub, strlen(sub));
  for (size_t r = 0; r < gh_identity_role_count(id); r++)
    gh_policy_request_add_role(w->pq, gh_identity_role(id, r), strlen(gh_identity_role(id, r)));
  gh_policy_request_set_action(w->pq, "GET", 3);
  gh_policy_request_set_resource(w->pq, "/orders/7", 9);
  gh_policy_request_set_client_ip(w->pq, "10.1.2.3", 8);
  gh_policy_request_set_time(w->pq, w->now);
  int decision;
  const char *rule;
  return gh_policy_decide(w->policy, w->pq, &decision, &rule) || decision != GH_POLICY_ALLOW;
}

static int part_limits(world *w, const gh_identity *id) {
  char key[256];
  size_t len;
  gh_limit_key_source src = {.attr = gh_identity_attr, .attr_ud = (void *)id};
  if (gh_limit_key_build(w->key, &src, key, sizeof key, &len)) return 1;
  const char *keys[2] = {key, key};
  size_t lens[2] = {len, len}, denied;
  int allowed;
  uint64_t remaining;
  int64_t retry;
  return gh_limiter_take_all(w->limiters, keys, lens, 2, 1, w->now, &allowed, &denied, &remaining, &retry) || !allowed;
}

static int part_upstream(world *w) {
  size_t t;
  if (gh_upstream_pick(w->pool, NULL, 0, &t)) return 1;
  gh_upstream_release(w->pool, t);
  return 0;
}

static int parts_in_sequence(void *ud) {
  world *w = ud;
  size_t i = w->n++ % CALLERS;
  w->now += 1;
  gh_identity *id = NULL;
  int rc = part_route(w, i) || part_authenticate(w, i, &id) || part_policy(w, id) || part_limits(w, id) ||
           part_upstream(w);
  gh_identity_free(id);
  return rc;
}

static int route_alone(void *ud) {
  world *w = ud;
  return part_route(w, w->n++ % CALLERS);
}

static int authenticate_alone(void *ud) {
  world *w = ud;
  gh_identity *id = NULL;
  w->now += 1;
  int rc = part_authenticate(w, w->n++ % CALLERS, &id);
  gh_identity_free(id);
  return rc;
}

static int upstream_alone(void *ud) { return part_upstream(ud); }

#define METRICS_ONLY 1
#define METRICS_AND_LOG 2

/* analytics: 0 (metrics off), METRICS_ONLY, METRICS_AND_LOG */
static world *make_world(const char *jwks, int analytics) {
  world *w = calloc(1, sizeof *w);
  size_t cap = strlen(CONFIG) + strlen(jwks) + strlen(POLICY) + strlen(ANALYTICS_OFF) + 1;
  char *doc = malloc(cap), errors[4096] = "", msg[512];
  snprintf(doc, cap, CONFIG, jwks, POLICY, analytics ? ANALYTICS_ON : ANALYTICS_OFF);
  w->now = 1800000000000;
  if (gh_gateway_new(&w->gw) || (analytics == METRICS_AND_LOG && gh_gateway_set_access_log(w->gw, log_line, NULL)) ||
      gh_gateway_load(w->gw, doc, strlen(doc), errors, sizeof errors) ||
      gh_decision_new(&w->d)) {
    fprintf(stderr, "bench_gateway: %s\n", errors);
    exit(2);
  }
  w->doc = doc;
  size_t klen;
  char *jwk = bench_read_file(NULL, "examples/tokens/demo-signing-key.jwk.json", &klen);
  gh_signing_key *key;
  if (gh_signing_key_from_jwk(&key, jwk, klen)) exit(2);
  for (size_t i = 0; i < CALLERS; i++) {
    char payload[256], *token;
    size_t tlen;
    snprintf(payload, sizeof payload,
             "{\"sub\":\"user-%zu\",\"iss\":\"https://id.example.com\",\"aud\":\"api://orders\",\"exp\":4102444800,"
             "\"roles\":[\"%s\"]}",
             i, i % 3 == 0 ? "admin" : i % 3 == 1 ? "editor" : "viewer");
    if (gh_jwt_sign(key, "ES256", "demo-DO-NOT-USE", payload, strlen(payload), &token, &tlen)) exit(2);
    snprintf(w->auth[i], sizeof w->auth[i], "Bearer %s", token);
    gh_free(token);
    w->headers[i][0] = (gh_header){"Authorization", w->auth[i], 13, strlen(w->auth[i])};
    w->headers[i][1] = (gh_header){"Accept", "application/json", 6, 16};
    w->headers[i][2] = (gh_header){"User-Agent", "bench/1.0", 10, 9};
    w->req[i] = (gh_request){.method = "GET", .method_len = 3, .path = "/v2/orders/7", .path_len = 12,
                             .headers = w->headers[i], .n_headers = 3, .client_ip = "10.1.2.3", .client_ip_len = 8};
  }
  gh_signing_key_free(key);
  free(jwk);
  /* the parts, from the same definitions */
  gh_jwks *set;
  gh_idp *idp;
  if (gh_router_new(&w->router) || gh_router_add(w->router, "GET", "/v2/orders/{id}", "get-order", NULL, msg, sizeof msg) ||
      gh_router_add(w->router, "POST", "/v2/orders", "create-order", NULL, msg, sizeof msg) ||
      gh_router_build(w->router) || gh_jwks_parse(&set, jwks, strlen(jwks), msg, sizeof msg) ||
      gh_jwt_verifier_new(&w->verifier) || gh_jwt_verifier_allow_alg(w->verifier, "ES256") ||
      gh_jwt_verifier_add_issuer(w->verifier, "https://id.example.com", 22) ||
      gh_jwt_verifier_add_audience(w->verifier, "api://orders", 12) ||
      gh_jwt_verifier_set_cache(w->verifier, 10000, 300000) || gh_jwt_verifier_build(w->verifier) ||
      gh_jwt_verifier_set_jwks(w->verifier, set, 0) || gh_realm_new(&w->realm, "staff") ||
      gh_idp_new_jwt(&idp, "corp", w->verifier) || gh_idp_map_roles(idp, "roles") ||
      gh_realm_add_idp(w->realm, idp) || gh_auth_request_new(&w->aq) ||
      gh_policy_parse(&w->policy, POLICY, strlen(POLICY), msg, sizeof msg) || gh_policy_request_new(&w->pq) ||
      gh_limiter_new(&w->limiters[0], "per-caller", GH_LIMIT_GCRA, 1000000, 1000, 1000000, 4194304) ||
      gh_limiter_build(w->limiters[0]) ||
      gh_limiter_new(&w->limiters[1], "per-caller-day", GH_LIMIT_QUOTA_DAY, 1048576, 0, 0, 4194304) ||
      gh_limiter_build(w->limiters[1]) || gh_limit_key_parse(&w->key, "subject", msg, sizeof msg)) {
    fprintf(stderr, "bench_gateway: the parts: %s\n", msg);
    exit(2);
  }
  gh_jwks_free(set);
  gh_idp_free(idp);
  const char *targets[] = {"http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"};
  unsigned weights[] = {1, 1, 1};
  if (gh_upstream_new(&w->pool, GH_LB_ROUND_ROBIN, targets, weights, 3) || gh_upstream_build(w->pool)) exit(2);
  return w;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The p50 and p99 of one decision, each timed alone (after a warm-up). */
static void latency_facts(world *w) {
  enum { N = 200000 };
  double *t = malloc(N * sizeof *t);
  for (int i = 0; i < 20000; i++) decide(w);
  for (int i = 0; i < N; i++) {
    double t0 = bench_now();
    decide(w);
    t[i] = (bench_now() - t0) * 1e9;
  }
  qsort(t, N, sizeof *t, cmp_double);
  bench_fact("gateway-decide", "full", "gatehouse", "p50_ns", t[N / 2]);
  bench_fact("gateway-decide", "full", "gatehouse", "p99_ns", t[N * 99 / 100]);
  free(t);
}

/* ---- what the bindings call, in C ---- */

/* One cached verification as a binding makes it: verify, read the subject, free. */
static int verify_cached(void *ud) {
  world *w = ud;
  size_t i = w->n++ % CALLERS;
  const char *token = w->auth[i] + 7; /* after "Bearer " */
  gh_principal *p;
  int reason;
  if (gh_jwt_verify(w->verifier, token, strlen(token), w->now, &p, &reason, NULL, 0)) return 1;
  int bad = gh_principal_subject(p) == NULL;
  gh_principal_free(p);
  return bad;
}

static void put_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if ((unsigned char)*s < 0x20) {
      fprintf(f, "\\u%04x", (unsigned)*s);
      continue;
    }
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* DIR/world.json: {"config": "...", "authorization": ["Bearer ...", ...], "jwks": {...}, "now_ms": N} */
static void write_world(const world *w, const char *jwks, const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/world.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(2);
  }
  fputs("{\"config\":", f);
  put_json_string(f, w->doc);
  fputs(",\"authorization\":[", f);
  for (size_t i = 0; i < CALLERS; i++) {
    if (i) fputc(',', f);
    put_json_string(f, w->auth[i]);
  }
  fprintf(f, "],\"jwks\":%s,\"issuer\":\"https://id.example.com\",\"audience\":\"api://orders\",\"now_ms\":%lld}\n",
          jwks, (long long)w->now);
  fclose(f);
}

static int serve_bindings(int argc, char **argv, const char *jwks) {
  world *w = make_world(jwks, 0);
  write_world(w, jwks, argv[2]);
  bench_subject("binding-call", "gateway-decide", "c", decide, w, 1);
  bench_subject("binding-call", "jwt-verify-cached", "c", verify_cached, w, 1);
  bench_note("binding-call", "gateway-decide", "c", "gh_gateway_decide + verdict + complete, as bench gateway-decide full");
  bench_note("binding-call", "jwt-verify-cached", "c", "gh_jwt_verify of a cached token + subject + free");
  char *rest[] = {argv[0], argc > 3 ? argv[3] : NULL};
  return bench_serve(argc > 3 ? 2 : 1, rest);
}

int main(int argc, char **argv) {
  size_t len;
  char *jwks = bench_read_file(NULL, "examples/tokens/demo-jwks.json", &len);
  if (argc > 2 && !strcmp(argv[1], "--bindings")) return serve_bindings(argc, argv, jwks);
  world *full = make_world(jwks, 0), *parts = make_world(jwks, 0), *alone = make_world(jwks, 0);
  world *metrics = make_world(jwks, METRICS_ONLY), *analytics = make_world(jwks, METRICS_AND_LOG);
  free(jwks);
  latency_facts(full);
  bench_subject("gateway-decide", "full", "gatehouse", decide, full, 1);
  bench_subject("gateway-decide", "full", "gatehouse-metrics", decide, metrics, 1);
  bench_subject("gateway-decide", "full", "gatehouse-analytics", decide, analytics, 1);
  bench_note("gateway-decide", "full", "gatehouse-analytics",
             "the same decisions with metrics (per-stage histograms, usage) and a JSON-lines access log on");
  bench_note("gateway-decide", "full", "gatehouse-metrics", "the same decisions with metrics on, no access log");
  bench_subject("gateway-decide", "full", "parts-in-sequence", parts_in_sequence, parts, 1);
  bench_subject("gateway-part", "route", "gatehouse", route_alone, alone, 1);
  bench_subject("gateway-part", "authenticate-cached", "gatehouse", authenticate_alone, alone, 1);
  bench_subject("gateway-part", "upstream", "gatehouse", upstream_alone, alone, 1);
  bench_note("gateway-decide", "full", "parts-in-sequence",
             "route, realm authentication (cached), policy, two limits, pick: the same calls without the pipeline");
  return bench_serve(argc, argv);
}
