/**
 * @file gatehouse/alloc.h
 * @brief Process-wide hooks: allocator, clock and log.
 *
 * Set them once at start-up, before any gatehouse object exists; they are not
 * synchronised with concurrent library calls.
 */
#ifndef GATEHOUSE_ALLOC_H
#define GATEHOUSE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*gh_malloc_fn)(void *ud, size_t size);
typedef void *(*gh_realloc_fn)(void *ud, void *ptr, size_t size);
typedef void (*gh_free_fn)(void *ud, void *ptr);

/**
 * Replace the allocator used for every allocation the library makes itself
 * and of cJSON, which it routes through the same hook. The crypto backend
 * (mbedTLS or OpenSSL) keeps its own allocator.
 * All three functions are required; NULL for all three restores malloc/realloc/free.
 * @return GH_OK, or GH_EINVAL when only some functions are given.
 */
GH_EXTERN int gh_set_allocator(gh_malloc_fn m, gh_realloc_fn r, gh_free_fn f, void *ud);

/**
 * The time range every `now_ms` and time argument must lie in: milliseconds
 * since the Unix epoch, from 0 to the end of year 9999 (the latest date a
 * token may carry). A time outside it is refused with GH_EINVAL, so that no
 * sum of a time and a period can wrap.
 */
#define GH_TIME_MAX_MS 253402300799999LL
/** GH_TIME_MAX_MS, for callers that cannot see macros. */
GH_EXTERN int64_t gh_time_max_ms(void);

/** Clock hook: milliseconds since the Unix epoch. */
typedef int64_t (*gh_clock_fn)(void *ud);
/** Replace the clock (NULL restores the system's realtime clock). */
GH_EXTERN void gh_set_clock(gh_clock_fn fn, void *ud);
/** @return the current time in milliseconds since the Unix epoch, through the clock hook. */
GH_EXTERN int64_t gh_now_ms(void);

typedef enum gh_log_level { GH_LOG_DEBUG = 0, GH_LOG_INFO = 1, GH_LOG_WARN = 2, GH_LOG_ERROR = 3 } gh_log_level;
/** Log hook: a NUL-terminated message without trailing newline. */
typedef void (*gh_log_fn)(void *ud, int level, const char *msg);
/**
 * Install a log hook (NULL: the library logs nothing, the default), before
 * any object exists; messages below min_level are not made. The hook runs on
 * the thread that caused the event and must be thread-safe. What an operator
 * hears, never a secret (no key, token or credential):
 * - GH_LOG_INFO: a verifier's key set swapped in; an identity provider added
 *   to or removed from a realm; a Redis breaker going half-open; a limiter
 *   whose Redis answers again after an outage.
 * - GH_LOG_WARN: a Redis circuit breaker opening (and closing again); a
 *   limiter whose Redis became unreachable, with its failure mode (once per
 *   outage); an upstream target ejected, with for how long.
 */
GH_EXTERN void gh_set_log(gh_log_fn fn, void *ud, int min_level);

#ifdef __cplusplus
}
#endif
#endif
