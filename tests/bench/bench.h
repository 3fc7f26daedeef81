/* Benchmark harness shared by the benchmark programs.
 *
 * A program registers its subjects (one thing timed: gatehouse, or a peer it
 * links) and its facts (figures measured once: memory, build time), then
 * serves them: scripts/bench.py starts every program of a comparison pinned
 * to the same core, and asks for one timed round of each subject in turn
 * (A B B A ...), so that gatehouse and its peers see the same machine. The
 * statistics (medians, spreads, ratio intervals) are the driver's. */
#ifndef GH_BENCH_H
#define GH_BENCH_H

#include <stddef.h>

/* One operation (or `ops` of them, as registered); non-zero stops the run. */
typedef int (*bench_fn)(void *ud);

/* A subject measured in operations per second: each call of fn does `ops`
 * operations and consumes its result. */
void bench_subject(const char *bench, const char *tcase, const char *subject, bench_fn fn, void *ud, double ops);
/* A figure measured once (bytes, build time, counts). */
void bench_fact(const char *bench, const char *tcase, const char *subject, const char *metric, double value);
/* A note shown beside a subject's figures ("parses its key on every call"). */
void bench_note(const char *bench, const char *tcase, const char *subject, const char *note);
/* Prints the menu (subjects, facts, notes) as JSON lines, then answers each
 * "round N" line on stdin with one round of subject N: warmed the first time,
 * then timed for about `seconds` (BENCH_SECONDS), as one JSON line. Returns
 * at end of input. With "--once" as argv[1] it instead times every subject
 * once, for a quick look by hand. */
int bench_serve(int argc, char **argv);

/* Seconds per round: BENCH_SECONDS, default 0.2. */
double bench_seconds(void);
/* A whole file (dir/name, or name when dir is NULL), NUL-terminated; exits on error. */
char *bench_read_file(const char *dir, const char *name, size_t *len);
/* Installs an allocator hook that counts the library's live bytes (a size
 * header per block), so that built objects' own footprint can be read. */
void bench_count_bytes(void);
long bench_live_bytes(void);
/* Monotonic seconds. */
double bench_now(void);

/* One algorithm's inputs: a pool of distinct tokens (different subjects and
 * expiry, one key), their keys, and the check every verifier must make. */
typedef struct bench_case {
  const char *alg;
  const char *const *tokens;
  const size_t *token_lens;
  size_t n_tokens;
  const char *jwks;             /* public JWK Set (JSON) */
  const char *pem;              /* private key PEM (asymmetric) */
  const unsigned char *secret;  /* HMAC secret */
  size_t secret_len;
} bench_case;

/* Implemented by the backend's peer file: raw crypto ceiling, libjwt, ... */
void bench_peers(const bench_case *c, const char *backend);

#endif
