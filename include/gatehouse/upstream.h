/**
 * @file gatehouse/upstream.h
 * @brief Upstream pools: which target gets the next request.
 *
 * Balancers:
 * - GH_LB_ROUND_ROBIN: smooth weighted round robin as nginx does it (weights
 *   5:1:1 give a a b a c a a), precomputed for one cycle and walked with an
 *   atomic counter.
 * - GH_LB_LEAST_REQUEST: power of two choices as Envoy does it: two targets
 *   at random, the one with fewer requests in flight per unit of weight
 *   (gh_upstream_release ends a request).
 * - GH_LB_MAGLEV: consistent hashing with a Maglev lookup table (65,537
 *   entries by default) keyed by the caller's key (a header, a claim, a
 *   cookie or the client address); when one of N targets leaves, about 1/N of
 *   the keys move. Targets take table entries in proportion to their weights.
 * - GH_LB_RANDOM: weighted random.
 * Picking takes no lock; a pool is immutable but for its counters and its
 * targets' health, and thread-safe. Every pick that succeeds is ended with
 * gh_upstream_release.
 *
 * Health: passive (outlier detection from reported outcomes) and active
 * (checks the host runs when the pool says they are due) take targets out;
 * picks skip them. When every target is out, picks use them all anyway
 * (panic routing, counted), as Envoy does.
 */
#ifndef GATEHOUSE_UPSTREAM_H
#define GATEHOUSE_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GH_LB_ROUND_ROBIN 0
#define GH_LB_LEAST_REQUEST 1
#define GH_LB_MAGLEV 2
#define GH_LB_RANDOM 3

#define GH_UPSTREAM_MAX_TARGETS 1024
#define GH_MAGLEV_TABLE_SIZE 65537u

typedef struct gh_upstream gh_upstream;

/**
 * A pool over n targets (names copied, e.g. "10.0.0.5:8080"); weights 1-1000
 * (NULL: all 1). The sum of weights is at most 100,000 for round robin. The
 * pool is configuring (gh_upstream_set_*) until gh_upstream_build; then it is
 * shared across threads, its setters answer GH_EMISUSE, and so do picks
 * before it (reports and releases are ignored before it).
 * @return GH_OK, GH_EINVAL, GH_ETOOBIG, GH_ENOMEM
 */
GH_EXTERN int gh_upstream_new(gh_upstream **out, int balancer, const char *const *targets, const unsigned *weights,
                              size_t n);
/** Ends configuration. @return GH_OK; GH_EMISUSE when built already; GH_EINVAL */
GH_EXTERN int gh_upstream_build(gh_upstream *u);
/** Frees the pool. NULL is a no-op; not while another thread picks from it. */
GH_EXTERN void gh_upstream_free(gh_upstream *u);
/**
 * Picks a healthy target; key (Maglev only; may be NULL for the others)
 * chooses it for Maglev, which then walks its table to the next healthy one.
 * @return GH_OK; GH_EDENIED when the circuit breaker is open (max requests in
 *   flight; counted in gh_upstream_overflows); GH_EINVAL
 */
GH_EXTERN int gh_upstream_pick(gh_upstream *u, const void *key, size_t key_len, size_t *target);
/** Ends a request that gh_upstream_pick started. */
GH_EXTERN void gh_upstream_release(gh_upstream *u, size_t target);
/** Targets in the pool. */
GH_EXTERN size_t gh_upstream_count(const gh_upstream *u);
/** The i-th target's name, or NULL past the end. Lives as long as the pool. */
GH_EXTERN const char *gh_upstream_target(const gh_upstream *u, size_t i);
/** Requests in flight on a target (least request). */
GH_EXTERN uint64_t gh_upstream_in_flight(const gh_upstream *u, size_t i);

/* ---- passive health: outlier detection ---- */

typedef struct gh_outlier_config {
  unsigned consecutive_failures; /* failures in a row that eject (default 5; 0: off) */
  int64_t base_ejection_ms;      /* ejected for base x times ejected so far (default 30000) */
  int64_t max_ejection_ms;       /* at most this long (default 300000) */
  unsigned max_ejection_percent; /* never more ejected at once (default 10; at least one target) */
} gh_outlier_config;
/** sizeof(gh_outlier_config), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_outlier_config_size(void);
/** Turns outlier detection on (NULL: the defaults). */
GH_EXTERN int gh_upstream_set_outlier(gh_upstream *u, const gh_outlier_config *c);
/** A request's outcome: ok 0 for a connection failure, a timeout or a 5xx. */
GH_EXTERN void gh_upstream_report(gh_upstream *u, size_t target, int ok, int64_t now_ms);
/** Whether picks may choose the target at now_ms (not ejected, not down). Thread-safe. */
GH_EXTERN int gh_upstream_is_healthy(const gh_upstream *u, size_t target, int64_t now_ms);
/** Ejections so far, and picks made in panic (every target out). */
GH_EXTERN uint64_t gh_upstream_ejections(const gh_upstream *u);
/** Picks made while every target was out (all are used then, rather than none). */
GH_EXTERN uint64_t gh_upstream_panics(const gh_upstream *u);

/* ---- active health: the host runs the checks, the pool schedules and judges ---- */

typedef struct gh_health_check_config {
  int64_t interval_ms;          /* between checks of one target (default 10000) */
  unsigned healthy_threshold;   /* passes in a row to come back (default 2) */
  unsigned unhealthy_threshold; /* failures in a row to go down (default 3) */
} gh_health_check_config;
/** sizeof(gh_health_check_config), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_health_check_config_size(void);
/** Turns active checks on (NULL: the defaults): the host probes the targets gh_upstream_health_due names. @return
 * GH_OK; GH_EINVAL; GH_EMISUSE once built
 */
GH_EXTERN int gh_upstream_set_health_check(gh_upstream *u, const gh_health_check_config *c);
/**
 * The next target due for a check at now_ms (its next check is then
 * scheduled), or GH_ENOTFOUND with *wait_ms until one is due.
 */
GH_EXTERN int gh_upstream_health_due(gh_upstream *u, int64_t now_ms, size_t *target, int64_t *wait_ms);
/** The outcome of the host's probe of target: ok 1 or 0. Thread-safe. */
GH_EXTERN void gh_upstream_health_result(gh_upstream *u, size_t target, int ok);

/* ---- circuit breaker and retries ---- */

/** At most max requests in flight on the pool (0: no limit, the default). */
GH_EXTERN int gh_upstream_set_max_requests(gh_upstream *u, uint64_t max);
/**
 * At most max requests waiting for a connection to a target (0: no limit, the
 * default). The host calls gh_upstream_pending_begin when a picked request
 * has to wait for a connection (GH_EDENIED: over the limit, fail it fast) and
 * gh_upstream_pending_end once it has one or gives up.
 */
GH_EXTERN int gh_upstream_set_max_pending(gh_upstream *u, uint64_t max);
/** A picked request starts waiting for a connection. @return GH_OK; GH_EDENIED over the limit (counted in
 * gh_upstream_overflows); GH_EMISUSE before build
 */
GH_EXTERN int gh_upstream_pending_begin(gh_upstream *u);
/** A waiting request got its connection or gave up. */
GH_EXTERN void gh_upstream_pending_end(gh_upstream *u);
/** Requests refused by the circuit breaker (max requests or max pending). */
GH_EXTERN uint64_t gh_upstream_overflows(const gh_upstream *u);

typedef struct gh_retry_config {
  unsigned budget_percent;  /* retries in flight at most this share of requests in flight (default 20) */
  unsigned min_concurrency; /* retries always allowed in flight (default 3) */
  unsigned max_retries;     /* per request (default 2) */
  int64_t base_ms, max_ms;  /* backoff: uniform in [0, min(max, base x 2^(retry-1))] (default 25, 250) */
} gh_retry_config;
/** sizeof(gh_retry_config), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_retry_config_size(void);
/** NULL: the defaults (which apply until this is called). */
GH_EXTERN int gh_upstream_set_retry(gh_upstream *u, const gh_retry_config *c);
/**
 * May the request make its retry-th retry (1-based)? GH_OK with the jittered
 * backoff in *delay_ms, then gh_upstream_retry_done when that retry ends; or
 * GH_EDENIED (the budget is spent or the request has retried enough).
 */
GH_EXTERN int gh_upstream_retry_begin(gh_upstream *u, unsigned retry, int64_t *delay_ms);
/** A retry granted by gh_upstream_retry_begin has ended. */
GH_EXTERN void gh_upstream_retry_done(gh_upstream *u);

#ifdef __cplusplus
}
#endif
#endif
