/* Internal: the store's interface to the domains for remote limits: strict
 * decisions through the Redis script, and synced counts. The store knows
 * what a limit asks of the script (gh__remote_limit), not the limiter that
 * asks; lib/traffic fills it in. */
#ifndef GH_STORE_REDIS_H
#define GH_STORE_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/redis.h"

/* One limit as the script reads it. */
typedef struct gh__remote_limit {
  int algorithm;     /* GH_LIMIT_* (gatehouse/ratelimit.h) */
  int64_t limit;
  int64_t window_ms; /* the period; for concurrency, how long a slot is held */
  int64_t burst;
} gh__remote_limit;

/* Whether gh_redis_build was called: a client is shared only once built. */
bool gh__redis_built(const gh_redis *r);

/* One atomic decision over n limits. GH_OK with the outcome, or GH_EIO
 * (Redis down, timing out, answering an error, or the breaker open). */
int gh__redis_limit(gh_redis *r, const char *const *keys, const size_t *key_lens, const gh__remote_limit *limits,
                    size_t n, int64_t cost, int *allowed, size_t *denied_by, int64_t *remaining, int64_t *retry_after_ms);

/* Synced mode: adds deltas[i] to keys[i] (INCRBY, PEXPIRE ttl_ms[i]) in one
 * pipelined batch and returns each key's new total. GH_OK or GH_EIO. */
int gh__redis_add_counts(gh_redis *r, const char *const *keys, const size_t *key_lens, const int64_t *deltas,
                         const int64_t *ttl_ms, size_t n, int64_t *totals);

/* The argument vector of one script call (EVALSHA sha n keys... cost params...). */
typedef struct gh__limit_call {
  const char *argv[3 + 16 + 1 + 4 * 16];
  size_t lens[3 + 16 + 1 + 4 * 16];
  char nums[1 + 4 * 16][24], nkeys[8];
  int argc;
} gh__limit_call;

int gh__limit_call_build(gh__limit_call *c, const char *sha, const char *const *keys, const size_t *key_lens,
                         const gh__remote_limit *limits, size_t n, int64_t cost);
/* Reads the script's reply {allowed, first denied, remaining, retry}; GH_OK or GH_EIO. */
int gh__limit_reply(const void *redis_reply, size_t n, int *allowed, size_t *denied_by, int64_t *remaining,
                    int64_t *retry_after_ms);

#endif
