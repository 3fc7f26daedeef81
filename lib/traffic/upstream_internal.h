/* The pool's state, shared by upstream.c (balancers), upstream_health.c
 * (passive and active health) and upstream_retry.c (circuit breaker, retry
 * budget, backoff). */
#ifndef GH_UPSTREAM_INTERNAL_H
#define GH_UPSTREAM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/upstream.h"

#define MAX_WEIGHT 1000u
#define MAX_CYCLE 100000u

typedef struct gh__target_health {
  atomic_uint_fast32_t consecutive_failures;
  atomic_int_fast64_t ejected_until; /* ms; 0: not ejected */
  atomic_uint_fast32_t times_ejected;
  atomic_bool active_down;           /* active checks say unhealthy */
  atomic_uint_fast32_t active_streak; /* results in a row against the current state */
  atomic_int_fast64_t next_check;
} gh__target_health;

struct gh_upstream {
  bool built; /* configuring until gh_upstream_build; shared after */
  int balancer;
  size_t n;
  char **names;
  unsigned *weights;
  uint32_t *cycle; /* round robin: one smooth-weighted cycle of target indexes */
  size_t cycle_len;
  atomic_uint_fast64_t next;
  uint64_t *cumulative; /* random: running sums of weights */
  atomic_uint_fast64_t *in_flight;
  uint32_t *table; /* Maglev */
  uint64_t seed;
  gh__target_health *health;
  gh_outlier_config outlier;
  gh_health_check_config check;
  atomic_uint_fast64_t ejections, panics;
  /* circuit breaker and retries */
  uint64_t max_requests, max_pending;
  atomic_uint_fast64_t active, pending, retries_active, overflows;
  gh_retry_config retry;
};

/* Picks and the counters they drive need a built pool. */
#define GH__UPSTREAM_BUILT(u)             \
  do {                                    \
    if (!(u)) return GH_EINVAL;           \
    if (!(u)->built) return GH_EMISUSE;   \
  } while (0)

/* Whether a target may take requests now (not ejected, not down). */
bool gh__target_healthy(const gh_upstream *u, size_t t, int64_t now_ms);
int gh__health_init(gh_upstream *u);
/* Takes one off a counter that never goes below zero. */
void gh__saturating_decrement(atomic_uint_fast64_t *c);
/* A per-thread xorshift draw (no lock). */
uint64_t gh__upstream_rng(void);

#endif
