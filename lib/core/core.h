/* Internal core services shared by every layer. Not installed. */
#ifndef GH_CORE_H
#define GH_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "gatehouse/alloc.h"
#include "gatehouse/attrs.h"
#include "gatehouse/error.h"

/* Allocation through the global hook. gh__free(NULL) is a no-op. */
void *gh__malloc(size_t n);
void *gh__calloc(size_t count, size_t size);
void *gh__realloc(void *p, size_t n);
void gh__free(void *p);
/* Copy of (p, n) with a terminating NUL; NULL on allocation failure. */
char *gh__strndup(const char *p, size_t n);
/* Advises huge pages for [p, p + n) where whole ones fit; before first touch. */
void gh__prefer_huge_pages(void *p, size_t n);

/* A slice of someone else's bytes. */
typedef struct gh__span {
  const char *p;
  size_t len;
} gh__span;

/* ASCII lower case, the one spelling of it (header names, hosts, paths). */
static inline char gh__lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static inline void gh__lower_in_place(char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = gh__lower(p[i]);
}

/* An attribute through a view (gatehouse/attrs.h); NULL when the view is
 * missing or the attribute absent. */
static inline const char *gh__attr(gh_attr_fn fn, void *ud, const char *name, size_t *len) {
  *len = 0;
  return fn ? fn(ud, name, strlen(name), len) : NULL;
}

/* Numbers from outside (tokens, configurations, the command line) become
 * integers only through these: never a cast of an out-of-range double. */
static inline bool gh__time_ok(int64_t ms) { return ms >= 0 && ms <= GH_TIME_MAX_MS; }
/* v as an exact int64: false when it has a fraction, is not finite or lies
 * outside [-2^63, 2^63). */
bool gh__double_to_int64(double v, int64_t *out);
/* v in decimal into out (at least 21 bytes), without a NUL; returns the length. For hot paths where snprintf costs. */
size_t gh__u64_to_dec(uint64_t v, char *out);
/* Seconds as milliseconds in [0, GH_TIME_MAX_MS]; false outside (and for NaN). */
bool gh__seconds_to_ms(double seconds, int64_t *ms);

/* A monotonic clock in nanoseconds, for durations (never the clock hook: durations are measured, not decided). */
int64_t gh__monotonic_ns(void);
/* A cheaper clock for short durations on hot paths: the CPU's invariant
 * time-stamp counter where it has one (x86-64), else gh__monotonic_ns.
 * gh__ns_per_tick converts; call it once before timing (it calibrates the
 * counter against the monotonic clock for about 2 ms, once per process). */
extern bool gh__tsc_ticks;
double gh__ns_per_tick(void);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
static inline uint64_t gh__ticks(void) {
  return gh__tsc_ticks ? __builtin_ia32_rdtsc() : (uint64_t)gh__monotonic_ns();
}
#else
static inline uint64_t gh__ticks(void) { return (uint64_t)gh__monotonic_ns(); }
#endif

/* Secrets. */
void gh__wipe(void *p, size_t n);
/* Frees after wiping n bytes. */
void gh__free_secret(void *p, size_t n);
/* Constant-time equality of two equal-length buffers (time depends on n only). */
bool gh__ct_equal(const void *a, const void *b, size_t n);

/* Logging through the hook; cheap when no hook is set. */
void gh__log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Copies a message into a caller buffer (curl CURLOPT_ERRORBUFFER style).
 * buf may be NULL or cap 0: then nothing is written. */
void gh__set_msg(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Name and message lookups over the X-macro lists (GH_ERRNO_MAP,
 * GH_JWT_REASON_MAP, ...): `switch (v) { MAP(GH__CASE_NAME) } return "UNKNOWN";`. */
#define GH__CASE_NAME(name, value, ...) \
  case value:                           \
    return #name;
#define GH__CASE_MESSAGE(name, value, msg) \
  case value:                              \
    return msg;

/* Setters of builder objects: only before build. */
#define GH__CONFIGURING(obj)              \
  do {                                    \
    if (!(obj)) return GH_EINVAL;         \
    if ((obj)->built) return GH_EMISUSE;  \
  } while (0)

/* Dynamic byte buffer used by encoders. */
typedef struct gh__buf {
  char *p;
  size_t len, cap;
  bool failed; /* sticky allocation failure */
  bool secret; /* set before the first put: every copy left behind, and the buffer when freed, is wiped */
} gh__buf;
/* Appends n bytes (keeping room for a NUL); the buffer grows out of line. */
void gh__buf_grow_put(gh__buf *b, const void *p, size_t n);
static inline void gh__buf_put(gh__buf *b, const void *p, size_t n) {
  if (!b->failed && b->len + n < b->cap) {
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return;
  }
  gh__buf_grow_put(b, p, n);
}
void gh__buf_puts(gh__buf *b, const char *s);
/* NUL-terminates and returns GH_OK, or GH_ENOMEM (buffer freed). */
int gh__buf_finish(gh__buf *b);
void gh__buf_free(gh__buf *b);

#endif
