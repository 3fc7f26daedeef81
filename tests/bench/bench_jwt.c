/* jwt-verify: verifications per second on one core for HS256, RS256, PS256,
 * ES256 with this build's crypto backend, over a pool of distinct tokens
 * (subjects and expiry differ) with issuer and audience checked as in
 * production; cache hits over 10,000 distinct cached tokens; and, through
 * bench_peers, the backend's raw hash-and-verify ceiling and libjwt on the
 * same pools. Facts: allocations and bytes per verification. Served to
 * scripts/bench.py (see bench.h). Usage: bench_jwt VECTORS_DIR [--once] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "gatehouse.h"

#define NOW_MS 1700000000000LL
#define POOL 64
#define CACHED 10000
#define ISSUER "https://issuer.example"
#define AUDIENCE "api://orders"

typedef struct verify_ctx {
  gh_jwt_verifier *v;
  char **tokens;
  size_t *lens, n, next;
} verify_ctx;

static int verify_next(void *ud) {
  verify_ctx *c = ud;
  gh_principal *p;
  size_t i = c->next++ % c->n;
  int rc = gh_jwt_verify(c->v, c->tokens[i], c->lens[i], NOW_MS, &p, NULL, NULL, 0);
  gh_principal_free(p);
  return rc;
}

static long allocs, bytes;
static void *count_malloc(void *ud, size_t n) {
  (void)ud;
  allocs++;
  bytes += (long)n;
  return malloc(n);
}
static void *count_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  allocs++;
  bytes += (long)n;
  return realloc(p, n);
}
static void count_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

static gh_jwt_verifier *verifier(const char *jwks, size_t cache) {
  gh_jwks *set;
  gh_jwt_verifier *v;
  char msg[128];
  if (gh_jwks_parse(&set, jwks, strlen(jwks), msg, sizeof msg)) {
    fprintf(stderr, "bench: %s\n", msg);
    exit(2);
  }
  gh_jwt_verifier_new(&v);
  gh_jwt_verifier_add_issuer(v, ISSUER, strlen(ISSUER));
  gh_jwt_verifier_add_audience(v, AUDIENCE, strlen(AUDIENCE));
  if (cache) gh_jwt_verifier_set_cache(v, cache, 60000);
  gh_jwt_verifier_build(v);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  gh_jwks_free(set);
  return v;
}

/* n distinct tokens signed with key: the subject and expiry differ. */
static void sign_pool(gh_signing_key *key, const char *alg, const char *kid, size_t n, char ***tokens, size_t **lens) {
  *tokens = calloc(n, sizeof **tokens), *lens = calloc(n, sizeof **lens);
  for (size_t i = 0; i < n; i++) {
    char payload[512];
    snprintf(payload, sizeof payload,
             "{\"sub\":\"user-%zu\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\",\"iat\":1699999940,\"exp\":%zu,"
             "\"scope\":\"orders:read orders:write\",\"realm_access\":{\"roles\":[\"viewer\"]}}",
             i, (size_t)1700003600 + i);
    if (gh_jwt_sign(key, alg, kid, payload, strlen(payload), &(*tokens)[i], &(*lens)[i])) exit(2);
  }
}

int main(int argc, char **argv) {
  const char *vectors = argc > 1 && argv[1][0] != '-' ? argv[1] : "tests/vectors";
  if (argc > 1 && argv[1][0] != '-') argc--, argv++;
  static char subject[64], cached[80];
  const char *backend = gh_crypto_backend();
  snprintf(subject, sizeof subject, "gatehouse-%s", backend);
  snprintf(cached, sizeof cached, "gatehouse-%s-cache-hit", backend);
  static const char *const algs[] = {"HS256", "RS256", "PS256", "ES256"};
  static const unsigned char secret[] = "bench-secret-bench-secret-bench-secret!!";
  const char *oct_jwks = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"b\",\"k\":\"YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC1iZW5jaC1zZWNyZXQhIQ\"}]}";
  char path[512];
  snprintf(path, sizeof path, "%s/jose/jwks.json", vectors);
  char *all_sets = bench_read_file(NULL, path, NULL);
  cJSON *sets = cJSON_Parse(all_sets);
  char *pub = sets ? cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "public")) : NULL;
  if (!pub) return 2;

  for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
    const char *alg = algs[i];
    gh_signing_key *key;
    char *pem = NULL, *kid = malloc(16);
    snprintf(kid, 16, "k-%s", alg);
    if (alg[0] == 'H') {
      gh_signing_key_from_secret(&key, secret, sizeof secret - 1);
    } else {
      snprintf(path, sizeof path, "%s/jose/keys/%s.pem", vectors, alg);
      pem = bench_read_file(NULL, path, NULL);
      if (gh_signing_key_from_pem(&key, pem, strlen(pem))) return 2;
    }
    const char *jwks = alg[0] == 'H' ? oct_jwks : pub;
    verify_ctx *c = calloc(1, sizeof *c);
    c->v = verifier(jwks, 0), c->n = POOL;
    sign_pool(key, alg, alg[0] == 'H' ? "b" : kid, POOL, &c->tokens, &c->lens);
    bench_subject("jwt-verify", alg, subject, verify_next, c, 1);
    gh_set_allocator(count_malloc, count_realloc, count_free, NULL);
    allocs = bytes = 0;
    for (int k = 0; k < 1000; k++) verify_next(c);
    gh_set_allocator(NULL, NULL, NULL, NULL);
    bench_fact("jwt-verify", alg, subject, "allocs_per_op", allocs / 1000.0);
    bench_fact("jwt-verify", alg, subject, "bytes_per_op", bytes / 1000.0);
    if (alg[0] == 'H') { /* cache hits over many distinct tokens, not one hot line */
      verify_ctx *h = calloc(1, sizeof *h);
      h->v = verifier(jwks, 2 * CACHED), h->n = CACHED;
      sign_pool(key, alg, "b", CACHED, &h->tokens, &h->lens);
      for (size_t k = 0; k < CACHED; k++) verify_next(h); /* every token cached */
      bench_subject("jwt-verify", "cache-hit", cached, verify_next, h, 1);
    }
    gh_signing_key_free(key);
    bench_case *bc = calloc(1, sizeof *bc);
    *bc = (bench_case){alg, (const char *const *)c->tokens, c->lens, POOL, jwks, pem, secret, sizeof secret - 1};
    bench_peers(bc, backend);
  }
  return bench_serve(argc, argv);
}
