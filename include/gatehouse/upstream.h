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
 *   the keys move. Weights are ignored.
 * - GH_LB_RANDOM: weighted random.
 * Picking takes no lock; a pool is immutable but for its in-flight counters,
 * and thread-safe.
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
 * (NULL: all 1). The sum of weights is at most 100,000 for round robin.
 * @return GH_OK, GH_EINVAL, GH_ETOOBIG, GH_ENOMEM
 */
GH_EXTERN int gh_upstream_new(gh_upstream **out, int balancer, const char *const *targets, const unsigned *weights,
                              size_t n);
GH_EXTERN void gh_upstream_free(gh_upstream *u);
/** Picks a target; key (Maglev only; may be NULL for the others) chooses it for Maglev. */
GH_EXTERN int gh_upstream_pick(gh_upstream *u, const void *key, size_t key_len, size_t *target);
/** Ends a request picked with GH_LB_LEAST_REQUEST (no effect for the others). */
GH_EXTERN void gh_upstream_release(gh_upstream *u, size_t target);
GH_EXTERN size_t gh_upstream_count(const gh_upstream *u);
GH_EXTERN const char *gh_upstream_target(const gh_upstream *u, size_t i);
/** Requests in flight on a target (least request). */
GH_EXTERN uint64_t gh_upstream_in_flight(const gh_upstream *u, size_t i);

#ifdef __cplusplus
}
#endif
#endif
