#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"
#include "gatehouse.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_rate(int (*fn)(void *ud), void *ud, double seconds, int rounds) {
  double best = 0;
  for (int r = 0; r < rounds; r++) {
    long n = 0, batch = 1;
    double start = now_s(), elapsed;
    do {
      for (long i = 0; i < batch; i++)
        if (fn(ud) != 0) {
          fprintf(stderr, "bench: operation failed\n");
          exit(1);
        }
      n += batch;
      if (batch < (1L << 20)) batch *= 2;
      elapsed = now_s() - start;
    } while (elapsed < seconds);
    if (n / elapsed > best) best = n / elapsed;
  }
  return best;
}

void bench_report(const char *bench, const char *tcase, const char *subject, const char *metric, double value) {
  printf("  %-12s %-8s %-26s %-12s %14.1f\n", bench, tcase, subject, metric, value);
  fflush(stdout);
  const char *path = getenv("BENCH_RESULTS");
  if (!path) return;
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "{\"bench\":\"%s\",\"case\":\"%s\",\"subject\":\"%s\",\"metric\":\"%s\",\"value\":%.3f}\n", bench, tcase,
          subject, metric, value);
  fclose(f);
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
