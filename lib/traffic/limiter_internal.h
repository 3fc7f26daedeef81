/* A limiter's insides, shared by limiter.c (local decisions), limiter_redis.c
 * (strict mode), limiter_synced.c (synced mode) and limit_fields.c. */
#ifndef GH_LIMITER_INTERNAL_H
#define GH_LIMITER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../core/core.h"
#include "../core/hash64.h"
#include "gatehouse/ratelimit.h"
#include "gatehouse/redis.h"
#include "limit_store.h"

#define MAX_TAKE_ALL 16

/* Decisions need a built limiter: one still being configured is a misuse. */
#define GH__LIMITER_BUILT(l)              \
  do {                                    \
    if (!(l)) return GH_EINVAL;           \
    if (!(l)->built) return GH_EMISUSE;   \
  } while (0)

struct gh_limiter {
  bool built;                  /* configuring until gh_limiter_build; shared and unchangeable after */
  char *name;
  gh__limit_params p;
  uint64_t seed;
  size_t memory;
  gh__limit_store store;       /* local state; in strict mode, the fallback's */
  gh_redis *redis;             /* strict mode: decisions in Redis */
  int failure_mode;            /* GH_REDIS_FAIL_* */
  atomic_uint_fast64_t fallbacks;
  atomic_bool degraded;        /* Redis failed the last time: logged once per outage */
  gh_redis *synced;            /* synced mode: local decisions, counts pushed by gh_limiter_sync */
  pthread_mutex_t dirty_lock;  /* keys with a local count not yet pushed */
  char **dirty;
  size_t *dirty_lens, n_dirty, cap_dirty;
};

static inline uint64_t gh__limiter_key_hash(const gh_limiter *l, const char *key, size_t len) {
  return gh__hash64(key, len, l->seed) | 1;
}

/* Local decisions, all or nothing over n limits (limiter.c). */
int gh__limiter_take_local(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                           uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                           int64_t *retry_after_ms);
/* Gives concurrency slots back locally; GH_ENOTFOUND when the key holds none (limiter.c). */
int gh__limiter_release_local(gh_limiter *l, const char *key, size_t len, uint64_t cost);
/* Strict mode (limiter_redis.c): the same decision in Redis, or the failure mode's. */
int gh__limiter_take_remote(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                            uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                            int64_t *retry_after_ms);
int gh__limiter_release_remote(gh_limiter *l, const char *key, size_t len, uint64_t cost);
/* A remote call failed (counted; the first of an outage is logged) or
 * succeeded (the end of an outage is logged). limiter_redis.c */
void gh__limiter_degraded(gh_limiter *l);
void gh__limiter_recovered(gh_limiter *l);
/* Synced mode (limiter_synced.c): remembers a key for the next push. */
void gh__limiter_mark_dirty(gh_limiter *l, const char *key, size_t len);

#endif
