/* Internal: strict-mode limit decisions through the asynchronous client. */
#ifndef GH_STORE_REDIS_ASYNC_H
#define GH_STORE_REDIS_ASYNC_H

#include "redis.h"

/* rc: GH_OK with the decision, or GH_EIO (no reply: Redis failed). */
typedef void (*gh__async_done_fn)(void *ud, int rc, int allowed, int64_t remaining, int64_t retry_after_ms);

/* Queues one decision; GH_EIO if it could not even be queued (done is then not called). */
int gh__redis_async_limit(gh_redis_async *a, const char *const *keys, const size_t *key_lens,
                          const gh__remote_limit *limits, size_t n, int64_t cost, gh__async_done_fn done,
                          void *ud);

#endif
