/* Internal: strict-mode limit decisions through the Redis script. */
#ifndef GH_STORE_REDIS_H
#define GH_STORE_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "../traffic/limit_algorithms.h"
#include "gatehouse/redis.h"

/* One atomic decision over n limits. GH_OK with the outcome, or GH_EIO
 * (Redis down, timing out, answering an error, or the breaker open). */
int gh__redis_limit(gh_redis *r, const char *const *keys, const size_t *key_lens, const gh__limit_params *const *params,
                    size_t n, int64_t cost, int *allowed, size_t *denied_by, int64_t *remaining, int64_t *retry_after_ms);

#endif
