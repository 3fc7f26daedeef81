/* jwt-verify: verifications per second on one core for HS256, RS256, PS256,
 * ES256 — gatehouse with this build's crypto backend, with a cache hit, and
 * (through bench_peers) the backend's raw signature-verify ceiling and libjwt.
 * Also allocations and bytes allocated per verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "gatehouse.h"

#define NOW_MS 1700000000000LL

typedef struct verify_ctx {
  gh_jwt_verifier *v;
  const char *token;
  size_t len;
} verify_ctx;

static int verify_once(void *ud) {
  verify_ctx *c = ud;
  gh_principal *p;
  int rc = gh_jwt_verify(c->v, c->token, c->len, NOW_MS, &p, NULL, NULL, 0);
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

static gh_jwt_verifier *verifier(const char *jwks, int cache) {
  gh_jwks *set;
  gh_jwt_verifier *v;
  char msg[128];
  if (gh_jwks_parse(&set, jwks, strlen(jwks), msg, sizeof msg)) {
    fprintf(stderr, "bench: %s\n", msg);
    exit(2);
  }
  gh_jwt_verifier_new(&v);
  if (cache) gh_jwt_verifier_set_cache(v, 100000, 60000);
  gh_jwt_verifier_build(v);
  gh_jwt_verifier_set_jwks(v, set, NOW_MS);
  gh_jwks_free(set);
  return v;
}

int main(int argc, char **argv) {
  const char *vectors = argc > 1 ? argv[1] : "tests/vectors";
  double seconds = argc > 2 ? atof(argv[2]) : 0.5;
  char subject[64], path[512];
  snprintf(subject, sizeof subject, "gatehouse-%s", gh_crypto_backend());
  static const char *const algs[] = {"HS256", "RS256", "PS256", "ES256"};
  static const unsigned char secret[] = "bench-secret-bench-secret-bench-secret!!";
  const char *payload =
      "{\"sub\":\"alice\",\"iss\":\"https://issuer.example\",\"aud\":\"api://orders\",\"iat\":1699999940,"
      "\"exp\":1700003600,\"scope\":\"orders:read orders:write\",\"realm_access\":{\"roles\":[\"viewer\"]}}";
  snprintf(path, sizeof path, "%s/jose/jwks.json", vectors);
  char *all_sets = bench_read_file(NULL, path, NULL);
  cJSON *sets = cJSON_Parse(all_sets);
  char *pub = sets ? cJSON_PrintUnformatted(cJSON_GetObjectItem(sets, "public")) : NULL;
  if (!pub) return 2;
  const char *oct_jwks = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"b\",\"k\":\"YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC1iZW5jaC1zZWNyZXQhIQ\"}]}";

  printf("  %-12s %-8s %-26s %-12s %14s\n", "bench", "case", "subject", "metric", "value");
  for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
    const char *alg = algs[i];
    gh_signing_key *key;
    char *pem = NULL, kid[16];
    snprintf(kid, sizeof kid, "k-%s", alg);
    if (alg[0] == 'H') {
      gh_signing_key_from_secret(&key, secret, sizeof secret - 1);
    } else {
      snprintf(path, sizeof path, "%s/jose/keys/%s.pem", vectors, alg);
      pem = bench_read_file(NULL, path, NULL);
      if (gh_signing_key_from_pem(&key, pem, strlen(pem))) return 2;
    }
    char *token;
    size_t len;
    if (gh_jwt_sign(key, alg, alg[0] == 'H' ? "b" : kid, payload, strlen(payload), &token, &len)) return 2;
    gh_signing_key_free(key);
    const char *jwks = alg[0] == 'H' ? oct_jwks : pub;

    verify_ctx c = {verifier(jwks, 0), token, len};
    bench_report("jwt-verify", alg, subject, "ops_per_s", bench_rate(verify_once, &c, seconds, 3));
    gh_set_allocator(count_malloc, count_realloc, count_free, NULL);
    allocs = bytes = 0;
    for (int k = 0; k < 1000; k++) verify_once(&c);
    gh_set_allocator(NULL, NULL, NULL, NULL);
    bench_report("jwt-verify", alg, subject, "allocs_per_op", allocs / 1000.0);
    bench_report("jwt-verify", alg, subject, "bytes_per_op", bytes / 1000.0);
    gh_jwt_verifier_free(c.v);

    verify_ctx h = {verifier(jwks, 1), token, len};
    char cached[80];
    snprintf(cached, sizeof cached, "%s-cache-hit", subject);
    bench_report("jwt-verify", alg, cached, "ops_per_s", bench_rate(verify_once, &h, seconds, 3));
    gh_jwt_verifier_free(h.v);

    bench_case bc = {alg, token, len, jwks, pem, secret, sizeof secret - 1};
    bench_peers(&bc, gh_crypto_backend());
    gh_free(token);
    free(pem);
  }
  free(all_sets);
  free(pub);
  cJSON_Delete(sets);
  return 0;
}
