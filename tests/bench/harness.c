#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "gatehouse.h"

#define MAX_SUBJECTS 128

typedef struct subject {
  const char *bench, *tcase, *name;
  bench_fn fn;
  void *ud;
  double ops;
  int warmed;
} subject;

static subject subjects[MAX_SUBJECTS];
static int n_subjects;

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_seconds(void) {
  const char *s = getenv("BENCH_SECONDS");
  double v = s ? atof(s) : 0.2;
  return v > 0 ? v : 0.2;
}

/* JSON strings here are names chosen by the programs: no escaping needed. */
static void line(const char *kind, const char *bench, const char *tcase, const char *name, const char *tail) {
  printf("{\"kind\":\"%s\",\"bench\":\"%s\",\"case\":\"%s\",\"subject\":\"%s\"%s}\n", kind, bench, tcase, name, tail);
  fflush(stdout);
}

void bench_subject(const char *bench, const char *tcase, const char *name, bench_fn fn, void *ud, double ops) {
  if (n_subjects == MAX_SUBJECTS) {
    fprintf(stderr, "bench: more than %d subjects\n", MAX_SUBJECTS);
    exit(2);
  }
  subjects[n_subjects++] = (subject){bench, tcase, name, fn, ud, ops, 0};
  char tail[64];
  snprintf(tail, sizeof tail, ",\"id\":%d", n_subjects - 1);
  line("subject", bench, tcase, name, tail);
}

void bench_fact(const char *bench, const char *tcase, const char *name, const char *metric, double value) {
  char tail[160];
  snprintf(tail, sizeof tail, ",\"metric\":\"%s\",\"value\":%.6g", metric, value);
  line("fact", bench, tcase, name, tail);
}

void bench_note(const char *bench, const char *tcase, const char *name, const char *note) {
  char tail[400];
  snprintf(tail, sizeof tail, ",\"note\":\"%s\"", note);
  line("note", bench, tcase, name, tail);
}

/* Calls fn for about `seconds` (doubling batches, at least one call); ops/s. */
static double timed(subject *s, double seconds) {
  long calls = 0, batch = 1;
  double start = bench_now(), elapsed;
  do {
    for (long i = 0; i < batch; i++)
      if (s->fn(s->ud) != 0) {
        fprintf(stderr, "bench: %s %s %s: operation failed\n", s->bench, s->tcase, s->name);
        exit(1);
      }
    calls += batch;
    if (batch < (1L << 20)) batch *= 2;
    elapsed = bench_now() - start;
  } while (elapsed < seconds);
  return (double)calls * s->ops / elapsed;
}

static void round_of(int id, double seconds) {
  subject *s = &subjects[id];
  if (!s->warmed) { /* caches, branch predictors and page faults settle before anything counts */
    timed(s, seconds / 2);
    s->warmed = 1;
  }
  char tail[96];
  snprintf(tail, sizeof tail, ",\"metric\":\"ops_per_s\",\"value\":%.6g", timed(s, seconds));
  line("round", s->bench, s->tcase, s->name, tail);
}

int bench_serve(int argc, char **argv) {
  double seconds = bench_seconds();
  printf("{\"kind\":\"ready\"}\n");
  fflush(stdout);
  if (argc > 1 && !strcmp(argv[1], "--once")) {
    for (int i = 0; i < n_subjects; i++) round_of(i, seconds);
    return 0;
  }
  char buf[64];
  while (fgets(buf, sizeof buf, stdin)) {
    int id;
    if (sscanf(buf, "round %d", &id) != 1 || id < 0 || id >= n_subjects) {
      fprintf(stderr, "bench: expected \"round N\" with N < %d, got %s", n_subjects, buf);
      return 2;
    }
    round_of(id, seconds);
  }
  return 0;
}

char *bench_read_file(const char *dir, const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(2);
  buf[n] = 0;
  fclose(f);
  if (len) *len = (size_t)n;
  return buf;
}

static long live_bytes;

static void *count_malloc(void *ud, size_t n) {
  (void)ud;
  size_t *p = malloc(n + 16);
  if (!p) return NULL;
  *p = n;
  live_bytes += (long)n;
  return (char *)p + 16;
}

static void count_free(void *ud, void *q) {
  (void)ud;
  if (!q) return;
  size_t *p = (size_t *)((char *)q - 16);
  live_bytes -= (long)*p;
  free(p);
}

static void *count_realloc(void *ud, void *q, size_t n) {
  if (!q) return count_malloc(ud, n);
  size_t *p = (size_t *)((char *)q - 16), old = *p;
  size_t *r = realloc(p, n + 16);
  if (!r) return NULL;
  *r = n;
  live_bytes += (long)n - (long)old;
  return (char *)r + 16;
}

void bench_count_bytes(void) { gh_set_allocator(count_malloc, count_realloc, count_free, NULL); }
long bench_live_bytes(void) { return live_bytes; }
