/* Strict mode: limiters decided in Redis, one atomic script over all limits
 * of a request, blocking or on the host's event loop, with a failure mode
 * when Redis cannot answer. */
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../store/redis.h"
#include "../store/redis_async.h"
#include "limiter_internal.h"

int gh_limiter_set_redis(gh_limiter *l, gh_redis *r, int failure_mode) {
  GH__CONFIGURING(l);
  if (!r || l->synced || failure_mode < GH_REDIS_FAIL_OPEN || failure_mode > GH_REDIS_FAIL_LOCAL) return GH_EINVAL;
  if (!gh__redis_built(r)) return GH_EMISUSE; /* a client is shared once built */
  l->redis = r;
  l->failure_mode = failure_mode;
  return GH_OK;
}

uint64_t gh_limiter_fallbacks(const gh_limiter *l) { return l ? atomic_load(&((gh_limiter *)l)->fallbacks) : 0; }

int gh_limiter_set_failure_mode(gh_limiter *l, int failure_mode) {
  GH__CONFIGURING(l);
  if (failure_mode < GH_REDIS_FAIL_OPEN || failure_mode > GH_REDIS_FAIL_LOCAL) return GH_EINVAL;
  l->failure_mode = failure_mode;
  return GH_OK;
}

void gh__limiter_degraded(gh_limiter *l) {
  static const char *const MODES[] = {"failing open (allow)", "failing closed (deny)", "deciding locally"};
  atomic_fetch_add(&l->fallbacks, 1);
  if (!atomic_exchange(&l->degraded, true))
    gh__log(GH_LOG_WARN, "limiter %s: Redis unreachable, %s until it answers", l->name,
            l->synced ? "counting locally" : MODES[l->failure_mode]);
}

void gh__limiter_recovered(gh_limiter *l) {
  if (atomic_load_explicit(&l->degraded, memory_order_relaxed) && atomic_exchange(&l->degraded, false))
    gh__log(GH_LOG_INFO, "limiter %s: Redis answers again, %s", l->name,
            l->synced ? "counts are pushed again" : "decisions are strict again");
}

/* A key in Redis: "gh:rl:<length of the limit's name>:<name>:<key>"; 0 when
 * too long. Names may hold ':', so the length keeps limiter "a" with key
 * "b:c" apart from limiter "a:b" with key "c". */
static size_t remote_key(const gh_limiter *l, const char *key, size_t len, char *buf, size_t cap) {
  int k = snprintf(buf, cap, "gh:rl:%zu:%s:", strlen(l->name), l->name);
  if (k < 0 || (size_t)k + len > cap) return 0;
  memcpy(buf + k, key, len);
  return (size_t)k + len;
}

/* What a decision is when Redis fails, by the limiter's failure mode. */
static void fallback(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                     uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                     int64_t *retry_after_ms);

/* What the store's script needs of a limit: a concurrency slot lapses after
 * the limiter's timeout, which the script reads as its window. */
static gh__remote_limit as_remote(const gh__limit_params *p) {
  bool slots = p->algorithm == GH_LIMIT_CONCURRENCY;
  return (gh__remote_limit){p->algorithm, p->limit, slots ? p->timeout_ms : p->period_ms, p->burst};
}

/* Strict mode: one atomic Redis decision over all limits (keys namespaced
 * as remote_key says); when Redis fails, the first limit's failure mode. */
int gh__limiter_take_remote(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                            uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                            int64_t *retry_after_ms) {
  if (!n || n > MAX_TAKE_ALL) return GH_EINVAL;
  char buf[MAX_TAKE_ALL][600];
  const char *names[MAX_TAKE_ALL];
  size_t lens[MAX_TAKE_ALL];
  gh__remote_limit remote[MAX_TAKE_ALL];
  for (size_t i = 0; i < n; i++) {
    if (limiters[i]->redis != limiters[0]->redis) return GH_EINVAL;
    if (!(lens[i] = remote_key(limiters[i], keys[i], key_lens[i], buf[i], sizeof buf[i]))) return GH_EINVAL;
    names[i] = buf[i], remote[i] = as_remote(&limiters[i]->p);
  }
  int64_t left = 0, retry = 0;
  size_t first = n;
  int rc = gh__redis_limit(limiters[0]->redis, names, lens, remote, n, (int64_t)cost, allowed, &first, &left, &retry);
  if (rc == GH_OK) {
    for (size_t i = 0; i < n; i++) gh__limiter_recovered(limiters[i]);
    if (denied_by) *denied_by = first;
    if (remaining) *remaining = (uint64_t)(left > 0 ? left : 0);
    if (retry_after_ms) *retry_after_ms = *allowed ? 0 : retry;
    return GH_OK;
  }
  if (rc != GH_EIO) return rc;
  fallback(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
  return GH_OK;
}

static void fallback(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                     uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                     int64_t *retry_after_ms) {
  for (size_t i = 0; i < n; i++) gh__limiter_degraded(limiters[i]);
  switch (limiters[0]->failure_mode) {
  case GH_REDIS_FAIL_LOCAL:
    gh__limiter_take_local(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
    return;
  case GH_REDIS_FAIL_CLOSED:
    *allowed = 0;
    if (denied_by) *denied_by = 0;
    if (remaining) *remaining = 0;
    if (retry_after_ms) *retry_after_ms = 1000; /* a guess: the breaker probes again within seconds */
    return;
  default:
    *allowed = 1;
    if (denied_by) *denied_by = n;
    if (remaining) *remaining = 0;
    if (retry_after_ms) *retry_after_ms = 0;
  }
}

/* An asynchronous decision in flight: what the failure mode needs, and the caller's completion. */
typedef struct async_take {
  gh_limiter *l;
  char *key;
  size_t len;
  uint64_t cost;
  int64_t now_ms;
  gh_limit_done_fn done;
  void *ud;
} async_take;

static void async_done(void *ud, int rc, int allowed, int64_t remaining, int64_t retry) {
  async_take *t = ud;
  uint64_t left = (uint64_t)(remaining > 0 ? remaining : 0);
  if (!rc) gh__limiter_recovered(t->l);
  if (rc) {
    const char *key = t->key;
    fallback(&t->l, &key, &t->len, 1, t->cost, t->now_ms, &allowed, NULL, &left, &retry);
  }
  t->done(t->ud, allowed, left, allowed ? 0 : retry);
  gh__free(t->key);
  gh__free(t);
}

/* Queues the script for one key with `cost` (negative: slots given back);
 * `finish` completes the call, at once when Redis cannot even be reached. */
static int queue_async(gh_limiter *l, gh_redis_async *a, const char *key, size_t len, int64_t cost, int64_t now_ms,
                       gh_limit_done_fn done, void *ud, gh__async_done_fn finish) {
  char buf[600];
  size_t n = remote_key(l, key, len, buf, sizeof buf);
  if (!n) return GH_EINVAL;
  async_take *t = gh__calloc(1, sizeof *t);
  if (!t || !(t->key = gh__strndup(key ? key : "", len))) {
    gh__free(t);
    return GH_ENOMEM;
  }
  *t = (async_take){l, t->key, len, (uint64_t)(cost < 0 ? -cost : cost), now_ms, done, ud};
  const char *names[] = {buf};
  gh__remote_limit remote = as_remote(&l->p);
  int rc = gh__redis_async_limit(a, names, &n, &remote, 1, cost, finish, t);
  if (rc == GH_EIO) { /* the failure mode decides now */
    finish(t, GH_EIO, 0, 0, 0);
    return GH_OK;
  }
  if (rc) {
    gh__free(t->key);
    gh__free(t);
  }
  return rc;
}

int gh_limiter_take_async(gh_limiter *l, gh_redis_async *a, const char *key, size_t len, uint64_t cost, int64_t now_ms,
                          gh_limit_done_fn done, void *ud) {
  GH__LIMITER_BUILT(l);
  if (!a || !done || (!key && len) || cost > GH__LIMIT_MAX || !gh__time_ok(now_ms)) return GH_EINVAL;
  return queue_async(l, a, key, len, (int64_t)cost, now_ms, done, ud, async_done);
}

/* Strict mode gives slots back in Redis (the script with a negative cost).
 * When Redis cannot be reached, the slot lapses there after the timeout, and
 * one the local fallback holds is given back here. */
int gh__limiter_release_remote(gh_limiter *l, const char *key, size_t len, uint64_t cost) {
  char buf[600];
  size_t n = remote_key(l, key, len, buf, sizeof buf);
  if (!n) return GH_EINVAL;
  const char *names[] = {buf};
  gh__remote_limit remote = as_remote(&l->p);
  int allowed;
  size_t first;
  int64_t left, retry;
  int rc = gh__redis_limit(l->redis, names, &n, &remote, 1, -(int64_t)cost, &allowed, &first, &left, &retry);
  if (rc != GH_EIO) {
    if (!rc) gh__limiter_recovered(l);
    return rc;
  }
  gh__limiter_degraded(l);
  gh__limiter_release_local(l, key, len, cost);
  return GH_OK;
}

static void async_released(void *ud, int rc, int allowed, int64_t remaining, int64_t retry) {
  (void)allowed, (void)remaining, (void)retry;
  async_take *t = ud;
  if (!rc) gh__limiter_recovered(t->l);
  if (rc) {
    gh__limiter_degraded(t->l);
    gh__limiter_release_local(t->l, t->key, t->len, t->cost);
  }
  gh__free(t->key);
  gh__free(t);
}

int gh_limiter_release_async(gh_limiter *l, gh_redis_async *a, const char *key, size_t len, uint64_t cost) {
  GH__LIMITER_BUILT(l);
  if (!a || (!key && len) || l->p.algorithm != GH_LIMIT_CONCURRENCY || cost > GH__LIMIT_MAX) return GH_EINVAL;
  return queue_async(l, a, key, len, -(int64_t)cost, 0, NULL, NULL, async_released);
}
