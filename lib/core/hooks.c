/* Process-wide hooks: allocator (also routed into cJSON), clock, log. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

#include "core.h"

static void *default_malloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}
static void *default_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  return realloc(p, n);
}
static void default_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

static gh_malloc_fn g_malloc = default_malloc;
static gh_realloc_fn g_realloc = default_realloc;
static gh_free_fn g_free = default_free;
static void *g_alloc_ud;

/* cJSON's hooks take no user data: bridge them to the global hook. */
static void *cjson_malloc(size_t n) { return g_malloc(g_alloc_ud, n); }
static void cjson_free(void *p) {
  if (p) g_free(g_alloc_ud, p);
}

int gh_set_allocator(gh_malloc_fn m, gh_realloc_fn r, gh_free_fn f, void *ud) {
  if (!m && !r && !f) {
    g_malloc = default_malloc;
    g_realloc = default_realloc;
    g_free = default_free;
    g_alloc_ud = NULL;
  } else if (!m || !r || !f) {
    return GH_EINVAL;
  } else {
    g_malloc = m;
    g_realloc = r;
    g_free = f;
    g_alloc_ud = ud;
  }
  cJSON_Hooks hooks = {cjson_malloc, cjson_free};
  cJSON_InitHooks(&hooks);
  return GH_OK;
}

void *gh__malloc(size_t n) { return g_malloc(g_alloc_ud, n ? n : 1); }

void *gh__calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) return NULL;
  void *p = gh__malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

void *gh__realloc(void *p, size_t n) { return g_realloc(g_alloc_ud, p, n ? n : 1); }

void gh__free(void *p) {
  if (p) g_free(g_alloc_ud, p);
}

char *gh__strndup(const char *p, size_t n) {
  if (n == SIZE_MAX) return NULL;
  char *s = gh__malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

void gh__wipe(void *p, size_t n) {
  /* A volatile function pointer keeps the compiler from eliding the wipe. */
  static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;
  if (p && n) wipe_memset(p, 0, n);
}

void gh__free_secret(void *p, size_t n) {
  gh__wipe(p, n);
  gh__free(p);
}

/* Eight bytes at a time, every byte read whatever the differences so far; the
 * volatile result keeps the compiler from turning the sum into an early exit. */
bool gh__ct_equal(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  uint64_t d = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    memcpy(&u, x + i, 8);
    memcpy(&v, y + i, 8);
    d |= u ^ v;
  }
  for (; i < n; i++) d |= (uint64_t)(x[i] ^ y[i]);
  volatile uint64_t difference = d;
  return difference == 0;
}

static int64_t default_clock(void *ud) {
  (void)ud;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gh__monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool gh__tsc_ticks;
static double g_ns_per_tick = 1.0;
static pthread_once_t g_ticks_once = PTHREAD_ONCE_INIT;

static void calibrate_ticks(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000007, &a, &b, &c, &d) || !(d & (1u << 8))) return; /* no invariant TSC */
  int64_t t0 = gh__monotonic_ns(), t1;
  uint64_t c0 = __builtin_ia32_rdtsc();
  while ((t1 = gh__monotonic_ns()) - t0 < 2000000) {
  }
  uint64_t c1 = __builtin_ia32_rdtsc();
  if (c1 <= c0) return;
  g_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
  gh__tsc_ticks = true;
#endif
}

double gh__ns_per_tick(void) {
  pthread_once(&g_ticks_once, calibrate_ticks);
  return g_ns_per_tick;
}

static gh_clock_fn g_clock = default_clock;
static void *g_clock_ud;

void gh_set_clock(gh_clock_fn fn, void *ud) {
  g_clock = fn ? fn : default_clock;
  g_clock_ud = fn ? ud : NULL;
}

int64_t gh_now_ms(void) { return g_clock(g_clock_ud); }
int64_t gh_time_max_ms(void) { return GH_TIME_MAX_MS; }

static gh_log_fn g_log;
static void *g_log_ud;
static int g_log_min = GH_LOG_WARN;

void gh_set_log(gh_log_fn fn, void *ud, int min_level) {
  g_log = fn;
  g_log_ud = ud;
  g_log_min = min_level;
}

void gh__log(int level, const char *fmt, ...) {
  if (!g_log || level < g_log_min) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  g_log(g_log_ud, level, msg);
}

void gh__set_msg(char *buf, size_t cap, const char *fmt, ...) {
  if (!buf || !cap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
}

void gh__buf_grow_put(gh__buf *b, const void *p, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    char *q = b->secret ? gh__malloc(cap) : gh__realloc(b->p, cap);
    if (!q) {
      b->failed = true;
      return;
    }
    if (b->secret && b->p) { /* realloc would leave the old bytes behind unwiped */
      memcpy(q, b->p, b->len);
      gh__free_secret(b->p, b->cap);
    }
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

void gh__buf_puts(gh__buf *b, const char *s) { gh__buf_put(b, s, strlen(s)); }

int gh__buf_finish(gh__buf *b) {
  gh__buf_put(b, "", 0);
  if (b->failed || !b->p) {
    gh__buf_free(b);
    return GH_ENOMEM;
  }
  b->p[b->len] = '\0';
  return GH_OK;
}

void gh__buf_free(gh__buf *b) {
  if (b->secret) gh__free_secret(b->p, b->cap);
  else gh__free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
