/* Benchmark harness shared by the benchmark programs: timing and reporting. */
#ifndef GH_BENCH_H
#define GH_BENCH_H

#include <stddef.h>

/* Calls fn(ud) repeatedly for about seconds, best of `rounds`; returns ops/s. */
double bench_rate(int (*fn)(void *ud), void *ud, double seconds, int rounds);
/* A whole file (dir/name, or name when dir is NULL), NUL-terminated; exits on error. */
char *bench_read_file(const char *dir, const char *name, size_t *len);
/* Installs an allocator hook that counts the library's live bytes (a size
 * header per block), so that built objects' own footprint can be read. */
void bench_count_bytes(void);
long bench_live_bytes(void);
/* Prints a row and appends a JSON line to the results file (BENCH_RESULTS). */
void bench_report(const char *bench, const char *tcase, const char *subject, const char *metric, double value);

/* One algorithm's inputs: a token, its signing input and signature, the keys. */
typedef struct bench_case {
  const char *alg;
  const char *token;
  size_t token_len;
  const char *jwks;      /* public JWK Set (JSON) */
  const char *pem;       /* private key PEM (asymmetric) */
  const unsigned char *secret; /* HMAC secret */
  size_t secret_len;
} bench_case;

/* Implemented by the backend's peer file: raw crypto ceiling, libjwt, ... */
void bench_peers(const bench_case *c, const char *subject_prefix);

#endif
