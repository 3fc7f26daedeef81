/* Limiters: parameters, the store, all-or-nothing decisions over several
 * limits, and what a 429 says (RateLimit fields, RFC 9457 problem). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"
#include "../core/json.h"
#include "gatehouse/ratelimit.h"
#include "../store/redis.h"
#include "../store/redis_async.h"
#include "limit_store.h"

#define MAX_TAKE_ALL 16

struct gh_limiter {
  char *name;
  gh__limit_params p;
  uint64_t seed;
  size_t memory;
  gh__limit_store store;       /* local state; in strict mode, the fallback's */
  gh_redis *redis;             /* strict mode: decisions in Redis */
  int failure_mode;            /* GH_REDIS_FAIL_* */
  atomic_uint_fast64_t fallbacks;
  gh_redis *synced;            /* synced mode: local decisions, counts pushed by gh_limiter_sync */
  pthread_mutex_t dirty_lock;  /* keys with a local count not yet pushed */
  char **dirty;
  size_t *dirty_lens, n_dirty, cap_dirty;
};

#define MAX_DIRTY (1u << 20)
#define SYNC_BATCH 256
#define SYNC_NAME_MAX 600

static void mark_dirty(gh_limiter *l, const char *key, size_t len);

size_t gh_limit_bytes_per_key(void) { return GH_LIMIT_BYTES_PER_KEY; }

static bool good_name(const char *s) {
  if (!s || !*s || strlen(s) > 64) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-_.:", *s)))
      return false;
  return true;
}

int gh_limiter_new(gh_limiter **out, const char *name, int algorithm, uint64_t limit, int64_t period_ms, uint64_t burst,
                   size_t memory_bytes) {
  if (!out || !good_name(name) || algorithm < GH_LIMIT_GCRA || algorithm > GH_LIMIT_QUOTA_MONTH || !limit ||
      limit > GH__LIMIT_MAX || burst > GH__LIMIT_MAX)
    return GH_EINVAL;
  bool calendar = algorithm == GH_LIMIT_QUOTA_DAY || algorithm == GH_LIMIT_QUOTA_MONTH;
  if (!calendar && algorithm != GH_LIMIT_CONCURRENCY && (period_ms <= 0 || period_ms > (int64_t)1 << 40)) return GH_EINVAL;
  gh_limiter *l = gh__calloc(1, sizeof *l);
  if (!l || !(l->name = gh__strndup(name, strlen(name)))) {
    gh__free(l);
    return GH_ENOMEM;
  }
  l->p = (gh__limit_params){algorithm, (int64_t)limit, period_ms > 0 ? period_ms : 1, burst ? (int64_t)burst : (int64_t)limit,
                            60000};
  l->seed = gh__hash_seed();
  atomic_init(&l->fallbacks, 0);
  if (pthread_mutex_init(&l->dirty_lock, NULL)) {
    gh__free(l->name);
    gh__free(l);
    return GH_ENOMEM;
  }
  l->memory = memory_bytes ? memory_bytes : GH_LIMIT_DEFAULT_MEMORY;
  if (l->memory < 64 * 1024) l->memory = 64 * 1024;
  int rc = gh__limit_store_init(&l->store, l->memory);
  if (rc) {
    pthread_mutex_destroy(&l->dirty_lock);
    gh__free(l->name);
    gh__free(l);
    return rc;
  }
  *out = l;
  return GH_OK;
}

void gh_limiter_free(gh_limiter *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n_dirty; i++) gh__free(l->dirty[i]);
  gh__free(l->dirty);
  gh__free(l->dirty_lens);
  pthread_mutex_destroy(&l->dirty_lock);
  gh__limit_store_destroy(&l->store);
  gh__free(l->name);
  gh__free(l);
}

int gh_limiter_set_timeout(gh_limiter *l, int64_t timeout_ms) {
  if (!l || timeout_ms <= 0 || timeout_ms > (int64_t)1 << 40) return GH_EINVAL; /* as a period: ~35 years */
  l->p.timeout_ms = timeout_ms;
  return GH_OK;
}

const char *gh_limiter_name(const gh_limiter *l) { return l ? l->name : NULL; }
size_t gh_limiter_capacity(const gh_limiter *l) { return l ? gh__limit_store_capacity(&l->store) : 0; }
size_t gh_limiter_memory(const gh_limiter *l) { return l ? gh__limit_store_bytes(&l->store) : 0; }
size_t gh_limiter_tracked_keys(const gh_limiter *l) { return l ? gh__limit_store_used((gh__limit_store *)&l->store) : 0; }
uint64_t gh_limiter_active_evictions(const gh_limiter *l) {
  return l ? atomic_load(&((gh_limiter *)l)->store.active_evictions) : 0;
}

static uint64_t key_hash(const gh_limiter *l, const char *key, size_t len) { return gh__hash64(key, len, l->seed) | 1; }

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
  return x < y ? -1 : x > y;
}

int gh_limiter_set_redis(gh_limiter *l, gh_redis *r, int failure_mode) {
  if (!l || !r || l->synced || failure_mode < GH_REDIS_FAIL_OPEN || failure_mode > GH_REDIS_FAIL_LOCAL)
    return GH_EINVAL;
  l->redis = r;
  l->failure_mode = failure_mode;
  return GH_OK;
}

uint64_t gh_limiter_fallbacks(const gh_limiter *l) { return l ? atomic_load(&((gh_limiter *)l)->fallbacks) : 0; }

int gh_limiter_set_failure_mode(gh_limiter *l, int failure_mode) {
  if (!l || failure_mode < GH_REDIS_FAIL_OPEN || failure_mode > GH_REDIS_FAIL_LOCAL) return GH_EINVAL;
  l->failure_mode = failure_mode;
  return GH_OK;
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

static int take_local(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
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
static int take_remote(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                       uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                       int64_t *retry_after_ms) {
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
  for (size_t i = 0; i < n; i++) atomic_fetch_add(&limiters[i]->fallbacks, 1);
  switch (limiters[0]->failure_mode) {
  case GH_REDIS_FAIL_LOCAL:
    take_local(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
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
  if (!l || !a || !done || (!key && len) || cost > GH__LIMIT_MAX || !gh__time_ok(now_ms)) return GH_EINVAL;
  return queue_async(l, a, key, len, (int64_t)cost, now_ms, done, ud, async_done);
}

int gh_limiter_take_all(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                        uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                        int64_t *retry_after_ms) {
  if (!limiters || !keys || !key_lens || !allowed || !n || n > MAX_TAKE_ALL || cost > GH__LIMIT_MAX ||
      !gh__time_ok(now_ms))
    return GH_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!limiters[i] || (!keys[i] && key_lens[i]) || (limiters[i]->redis != NULL) != (limiters[0]->redis != NULL))
      return GH_EINVAL; /* all local, or all in one Redis */
  if (limiters[0]->redis)
    return take_remote(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
  return take_local(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
}

/* One local limit: take_local's decision for n = 1, in half the instructions.
 * That matters beyond the instructions saved: when the key's set is not in
 * cache, a short decision lets the processor reach the next decision's memory
 * access before this one's returns, and overlap the two (over 10 million
 * distinct keys, 4.9M decisions/s became 9M). Inlined in both callers, so that
 * gh_limiter_take has no call between its decisions. */
static inline __attribute__((always_inline)) int take_one_local(gh_limiter *l, const char *key, size_t len,
                                                                uint64_t cost, int64_t now_ms, int *allowed,
                                                                uint64_t *remaining, int64_t *retry_after_ms) {
  uint64_t hash = key_hash(l, key, len);
  gh__limit_shard *shard = gh__limit_store_shard(&l->store, hash);
  gh__limit_shard_lock(shard);
  gh__limit_state *entry = gh__limit_store_find(shard, hash), next;
  gh__limit_outcome o;
  if (l->synced) gh__limit_step_synced(&l->p, entry, (int64_t)cost, now_ms, &next, &o);
  else gh__limit_step(&l->p, entry, (int64_t)cost, now_ms, &next, &o);
  bool newly_dirty = false;
  if (o.allowed) {
    /* synced: a key whose local count leaves zero must be pushed at the next sync */
    newly_dirty = l->synced && !(entry && entry->a == next.a && (entry->b & 0xFFFFFFFF));
    if (!entry) entry = gh__limit_store_insert(&l->store, shard, hash, &l->p, now_ms);
    *entry = next;
  }
  gh__limit_shard_unlock(shard);
  if (newly_dirty) mark_dirty(l, key, len);
  *allowed = o.allowed;
  if (remaining) *remaining = (uint64_t)(o.remaining > 0 ? o.remaining : 0);
  if (retry_after_ms) *retry_after_ms = o.allowed ? 0 : o.retry_after_ms < 0 ? -1 : o.retry_after_ms;
  return GH_OK;
}

static int take_local(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                      uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                      int64_t *retry_after_ms) {
  if (n == 1) {
    int rc = take_one_local(limiters[0], keys[0], key_lens[0], cost, now_ms, allowed, remaining, retry_after_ms);
    if (denied_by) *denied_by = *allowed ? 1 : 0; /* n when allowed */
    return rc;
  }
  uint64_t hash[MAX_TAKE_ALL];
  gh__limit_shard *shard[MAX_TAKE_ALL], *order[MAX_TAKE_ALL];
  for (size_t i = 0; i < n; i++) {
    hash[i] = key_hash(limiters[i], keys[i], key_lens[i]);
    shard[i] = order[i] = gh__limit_store_shard(&limiters[i]->store, hash[i]);
  }
  /* lock every shard involved, in address order, so that concurrent
   * multi-limit decisions cannot deadlock */
  if (n > 1) qsort(order, n, sizeof order[0], cmp_ptr);
  for (size_t i = 0; i < n; i++)
    if (!i || order[i] != order[i - 1]) gh__limit_shard_lock(order[i]);
  gh__limit_state *entry[MAX_TAKE_ALL];
  gh__limit_state next[MAX_TAKE_ALL];
  int ok = 1;
  size_t first_denial = n;
  int64_t left = INT64_MAX, retry = 0;
  for (size_t i = 0; i < n; i++) {
    gh__limit_outcome o;
    entry[i] = gh__limit_store_find(shard[i], hash[i]);
    if (limiters[i]->synced) gh__limit_step_synced(&limiters[i]->p, entry[i], (int64_t)cost, now_ms, &next[i], &o);
    else gh__limit_step(&limiters[i]->p, entry[i], (int64_t)cost, now_ms, &next[i], &o);
    if (o.remaining < left) left = o.remaining;
    if (!o.allowed) {
      ok = 0;
      if (first_denial == n) first_denial = i;
      if (o.retry_after_ms < 0 || retry < 0) retry = -1;
      else if (o.retry_after_ms > retry) retry = o.retry_after_ms;
    }
  }
  bool newly_dirty[MAX_TAKE_ALL] = {false};
  if (ok)
    for (size_t i = 0; i < n; i++) {
      /* synced: a key whose local count leaves zero must be pushed at the next sync */
      newly_dirty[i] = limiters[i]->synced && !(entry[i] && entry[i]->a == next[i].a && (entry[i]->b & 0xFFFFFFFF));
      if (!entry[i]) entry[i] = gh__limit_store_insert(&limiters[i]->store, shard[i], hash[i], &limiters[i]->p, now_ms);
      *entry[i] = next[i];
    }
  for (size_t i = n; i-- > 0;)
    if (!i || order[i] != order[i - 1]) gh__limit_shard_unlock(order[i]);
  for (size_t i = 0; i < n; i++)
    if (newly_dirty[i]) mark_dirty(limiters[i], keys[i], key_lens[i]);
  *allowed = ok;
  if (denied_by) *denied_by = first_denial;
  if (remaining) *remaining = (uint64_t)(left > 0 ? left : 0);
  if (retry_after_ms) *retry_after_ms = retry;
  return GH_OK;
}

int gh_limiter_take(gh_limiter *l, const char *key, size_t len, uint64_t cost, int64_t now_ms, int *allowed,
                    uint64_t *remaining, int64_t *retry_after_ms) {
  if (!l || (!key && len) || !allowed || cost > GH__LIMIT_MAX || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (l->redis) return take_remote(&l, &key, &len, 1, cost, now_ms, allowed, NULL, remaining, retry_after_ms);
  return take_one_local(l, key, len, cost, now_ms, allowed, remaining, retry_after_ms);
}

/* Remembers a synced key for the next push (bounded: beyond MAX_DIRTY keys per
 * interval the count stays local until the key is touched after a sync). */
static void mark_dirty(gh_limiter *l, const char *key, size_t len) {
  pthread_mutex_lock(&l->dirty_lock);
  if (l->n_dirty == l->cap_dirty && l->cap_dirty < MAX_DIRTY) {
    size_t cap = l->cap_dirty ? l->cap_dirty * 2 : 64;
    char **d = gh__realloc(l->dirty, cap * sizeof *d);
    size_t *dl = d ? gh__realloc(l->dirty_lens, cap * sizeof *dl) : NULL;
    if (d) l->dirty = d;
    if (dl) l->dirty_lens = dl, l->cap_dirty = cap;
  }
  char *copy = l->n_dirty < l->cap_dirty ? gh__strndup(key ? key : "", len) : NULL;
  if (copy) l->dirty[l->n_dirty] = copy, l->dirty_lens[l->n_dirty++] = len;
  pthread_mutex_unlock(&l->dirty_lock);
}

int gh_limiter_set_synced(gh_limiter *l, gh_redis *r) {
  if (!l || !r || l->redis) return GH_EINVAL; /* strict or synced, not both */
  if (l->p.algorithm != GH_LIMIT_FIXED_WINDOW && l->p.algorithm != GH_LIMIT_QUOTA_DAY &&
      l->p.algorithm != GH_LIMIT_QUOTA_MONTH)
    return GH_EUNSUPPORTED;
  if (l->p.limit > 0x0FFFFFFF) return GH_EINVAL; /* counts are packed in 32 bits */
  l->synced = r;
  return GH_OK;
}

/* Takes a key's local count out of its state (0 if none): what one sync pushes. */
static int64_t take_pending(gh_limiter *l, const char *key, size_t len, int64_t *window) {
  uint64_t h = key_hash(l, key, len);
  gh__limit_shard *sh = gh__limit_store_shard(&l->store, h);
  gh__limit_shard_lock(sh);
  gh__limit_state *e = gh__limit_store_find(sh, h);
  int64_t pending = e ? e->b & 0xFFFFFFFF : 0;
  if (e) *window = e->a, e->b &= ~(int64_t)0xFFFFFFFF;
  gh__limit_shard_unlock(sh);
  return pending;
}

/* After a push: the global total (seen), or on failure the count put back. */
static void settle(gh_limiter *l, const char *key, size_t len, int64_t window, int64_t total, int64_t restore) {
  uint64_t h = key_hash(l, key, len);
  gh__limit_shard *sh = gh__limit_store_shard(&l->store, h);
  gh__limit_shard_lock(sh);
  gh__limit_state *e = gh__limit_store_find(sh, h);
  if (e && e->a == window) {
    int64_t seen = e->b >> 32, pending = e->b & 0xFFFFFFFF;
    if (restore) pending += restore;
    else seen = total > 0xFFFFFFF ? 0xFFFFFFF : total;
    e->b = seen << 32 | pending;
  }
  gh__limit_shard_unlock(sh);
}

int gh_limiter_sync(gh_limiter *l, int64_t now_ms) {
  if (!l || !l->synced || !gh__time_ok(now_ms)) return GH_EINVAL;
  pthread_mutex_lock(&l->dirty_lock);
  char **keys = l->dirty;
  size_t *lens = l->dirty_lens, n = l->n_dirty;
  l->dirty = NULL, l->dirty_lens = NULL, l->n_dirty = l->cap_dirty = 0;
  pthread_mutex_unlock(&l->dirty_lock);
  char(*names)[SYNC_NAME_MAX] = n ? gh__malloc(SYNC_BATCH * sizeof *names) : NULL;
  int rc = n && !names ? GH_ENOMEM : GH_OK;
  if (rc)
    for (size_t k = 0; k < n; k++) mark_dirty(l, keys[k], lens[k]);
  for (size_t start = 0; start < n && !rc; start += SYNC_BATCH) {
    size_t m = n - start < SYNC_BATCH ? n - start : SYNC_BATCH;
    const char *name_ptrs[SYNC_BATCH];
    size_t name_lens[SYNC_BATCH], used = 0, index[SYNC_BATCH];
    int64_t deltas[SYNC_BATCH], ttls[SYNC_BATCH], windows[SYNC_BATCH], totals[SYNC_BATCH];
    for (size_t i = 0; i < m; i++) {
      size_t k = start + i;
      int64_t w = 0, pending = take_pending(l, keys[k], lens[k], &w), wnow, end;
      gh__limit_window(&l->p, now_ms, &wnow, &end);
      int len = snprintf(names[used], SYNC_NAME_MAX, "gh:rs:%s:%lld:", l->name, (long long)w);
      if (!pending || len < 0 || (size_t)len + lens[k] > SYNC_NAME_MAX) continue;
      memcpy(names[used] + len, keys[k], lens[k]);
      name_ptrs[used] = names[used], name_lens[used] = (size_t)len + lens[k];
      deltas[used] = pending, windows[used] = w, index[used] = k;
      ttls[used] = (w == wnow ? end - now_ms : 1) + 60000;
      used++;
    }
    if (!used) continue;
    rc = gh__redis_add_counts(l->synced, name_ptrs, name_lens, deltas, ttls, used, totals);
    for (size_t j = 0; j < used; j++) {
      size_t k = index[j];
      settle(l, keys[k], lens[k], windows[j], rc ? 0 : totals[j], rc ? deltas[j] : 0);
      if (rc) mark_dirty(l, keys[k], lens[k]); /* pushed again at the next sync */
    }
    if (rc) {
      atomic_fetch_add(&l->fallbacks, 1);
      for (size_t k = start + m; k < n; k++) mark_dirty(l, keys[k], lens[k]);
    }
  }
  gh__free(names);
  for (size_t k = 0; k < n; k++) gh__free(keys[k]);
  gh__free(keys);
  gh__free(lens);
  return rc;
}

static int release_local(gh_limiter *l, const char *key, size_t len, uint64_t cost) {
  uint64_t h = key_hash(l, key, len);
  gh__limit_shard *sh = gh__limit_store_shard(&l->store, h);
  gh__limit_shard_lock(sh);
  gh__limit_state *e = gh__limit_store_find(sh, h);
  if (e) gh__limit_release(&l->p, e, (int64_t)cost);
  gh__limit_shard_unlock(sh);
  return e ? GH_OK : GH_ENOTFOUND;
}

/* Strict mode gives slots back in Redis (the script with a negative cost).
 * When Redis cannot be reached, the slot lapses there after the timeout, and
 * one the local fallback holds is given back here. */
int gh_limiter_release(gh_limiter *l, const char *key, size_t len, uint64_t cost) {
  if (!l || (!key && len) || l->p.algorithm != GH_LIMIT_CONCURRENCY || cost > GH__LIMIT_MAX) return GH_EINVAL;
  if (l->redis) {
    char buf[600];
    size_t n = remote_key(l, key, len, buf, sizeof buf);
    if (!n) return GH_EINVAL;
    const char *names[] = {buf};
    gh__remote_limit remote = as_remote(&l->p);
    int allowed;
    size_t first;
    int64_t left, retry;
    int rc = gh__redis_limit(l->redis, names, &n, &remote, 1, -(int64_t)cost, &allowed, &first, &left, &retry);
    if (rc != GH_EIO) return rc;
    atomic_fetch_add(&l->fallbacks, 1);
    release_local(l, key, len, cost);
    return GH_OK;
  }
  return release_local(l, key, len, cost);
}

static void async_released(void *ud, int rc, int allowed, int64_t remaining, int64_t retry) {
  (void)allowed, (void)remaining, (void)retry;
  async_take *t = ud;
  if (rc) {
    atomic_fetch_add(&t->l->fallbacks, 1);
    release_local(t->l, t->key, t->len, t->cost);
  }
  gh__free(t->key);
  gh__free(t);
}

int gh_limiter_release_async(gh_limiter *l, gh_redis_async *a, const char *key, size_t len, uint64_t cost) {
  if (!l || !a || (!key && len) || l->p.algorithm != GH_LIMIT_CONCURRENCY || cost > GH__LIMIT_MAX) return GH_EINVAL;
  return queue_async(l, a, key, len, -(int64_t)cost, 0, NULL, NULL, async_released);
}

/* The window, in seconds, that a policy names (months taken as 30 days). */
static int64_t window_seconds(const gh__limit_params *p) {
  if (p->algorithm == GH_LIMIT_QUOTA_DAY) return 86400;
  if (p->algorithm == GH_LIMIT_QUOTA_MONTH) return 30 * 86400;
  return (p->period_ms + 999) / 1000;
}

int64_t gh_limit_retry_after_seconds(int64_t ms) { return ms < 0 ? -1 : (ms + 999) / 1000; }

int gh_limiter_fields(const gh_limiter *l, uint64_t remaining, int64_t reset_ms, char *policy, size_t policy_cap,
                      char *state, size_t state_cap) {
  if (!l) return GH_EINVAL;
  /* Structured Field items (RFC 9651): a String naming the policy, integer parameters */
  if (policy && snprintf(policy, policy_cap, "\"%s\";q=%lld;w=%lld", l->name, (long long)l->p.limit,
                         (long long)window_seconds(&l->p)) >= (int)policy_cap)
    return GH_EBUFFER;
  if (state && snprintf(state, state_cap, "\"%s\";r=%llu;t=%lld", l->name, (unsigned long long)remaining,
                        (long long)gh_limit_retry_after_seconds(reset_ms < 0 ? 0 : reset_ms)) >= (int)state_cap)
    return GH_EBUFFER;
  return GH_OK;
}

int gh_limiter_legacy_fields(const gh_limiter *l, uint64_t remaining, int64_t reset_ms, int64_t now_ms, char *limit,
                             size_t limit_cap, char *remaining_out, size_t remaining_cap, char *reset,
                             size_t reset_cap) {
  if (!l || !gh__time_ok(now_ms) || reset_ms > GH_TIME_MAX_MS) return GH_EINVAL;
  int64_t seconds = gh_limit_retry_after_seconds(reset_ms < 0 ? 0 : reset_ms);
  if (now_ms) seconds = (now_ms + (reset_ms < 0 ? 0 : reset_ms) + 999) / 1000;
  if ((limit && snprintf(limit, limit_cap, "%llu", (unsigned long long)l->p.limit) >= (int)limit_cap) ||
      (remaining_out && snprintf(remaining_out, remaining_cap, "%llu", (unsigned long long)remaining) >= (int)remaining_cap) ||
      (reset && snprintf(reset, reset_cap, "%lld", (long long)seconds) >= (int)reset_cap))
    return GH_EBUFFER;
  return GH_OK;
}

int gh_limiter_problem(const gh_limiter *l, int64_t retry_after_ms, char *out, size_t cap) {
  if (!l || !out) return GH_EINVAL;
  bool quota = l->p.algorithm == GH_LIMIT_QUOTA_DAY || l->p.algorithm == GH_LIMIT_QUOTA_MONTH;
  char retry[48] = "";
  if (retry_after_ms >= 0) snprintf(retry, sizeof retry, ",\"retry_after\":%lld", (long long)gh_limit_retry_after_seconds(retry_after_ms));
  int n = snprintf(out, cap,
                   "{\"type\":\"urn:gatehouse:problem:%s\",\"title\":\"%s\",\"status\":429,"
                   "\"detail\":\"limit %s allows %lld per %s\",\"limit\":\"%s\"%s}",
                   quota ? "quota-exceeded" : "rate-limited", quota ? "Quota exceeded" : "Too Many Requests", l->name,
                   (long long)l->p.limit,
                   l->p.algorithm == GH_LIMIT_QUOTA_DAY       ? "UTC day"
                   : l->p.algorithm == GH_LIMIT_QUOTA_MONTH   ? "UTC month"
                   : l->p.algorithm == GH_LIMIT_CONCURRENCY   ? "moment (in flight)"
                                                              : "window",
                   l->name, retry);
  return n < 0 || (size_t)n >= cap ? GH_EBUFFER : GH_OK;
}

static const char *const ALGORITHMS[] = {"gcra", "token-bucket", "sliding-window", "fixed-window", "concurrency",
                                         "quota-day", "quota-month"};

int gh_limiter_parse(gh_limiter **out, const char *json, size_t len, char *msg, size_t cap) {
  if (!out) return GH_EINVAL;
  *out = NULL;
  cJSON *doc;
  int rc = gh__json_parse(json, len, 64 * 1024, 4, &doc, msg, cap);
  if (rc) return rc;
  rc = GH_EPARSE;
  const cJSON *name = gh__json_member(doc, "name"), *alg = gh__json_member(doc, "algorithm"),
              *limit = gh__json_member(doc, "limit"), *period = gh__json_member(doc, "period"),
              *burst = gh__json_member(doc, "burst"), *timeout = gh__json_member(doc, "timeout"),
              *memory = gh__json_member(doc, "memory");
  int a = -1;
  for (int i = 0; cJSON_IsString(alg) && i < 7; i++)
    if (!strcmp(alg->valuestring, ALGORITHMS[i])) a = i;
  bool calendar = a == GH_LIMIT_QUOTA_DAY || a == GH_LIMIT_QUOTA_MONTH;
  const cJSON *m;
  if (!cJSON_IsObject(doc)) {
    gh__set_msg(msg, cap, "a limit is a JSON object");
    goto done;
  }
  cJSON_ArrayForEach(m, doc) {
    static const char *const known[] = {"name", "algorithm", "limit", "period", "burst", "timeout", "memory"};
    bool ok = false;
    for (size_t i = 0; i < 7; i++) ok |= !strcmp(m->string, known[i]);
    if (!ok) {
      gh__set_msg(msg, cap, "%.40s: unknown member", m->string);
      goto done;
    }
  }
  if (!cJSON_IsString(name) || !good_name(name->valuestring)) gh__set_msg(msg, cap, "name: 1-64 of [A-Za-z0-9-_.:]");
  else if (a < 0) gh__set_msg(msg, cap, "algorithm: gcra, token-bucket, sliding-window, fixed-window, concurrency, quota-day, quota-month");
  else if (!cJSON_IsNumber(limit) || limit->valuedouble < 1 || limit->valuedouble > GH__LIMIT_MAX ||
           limit->valuedouble != floor(limit->valuedouble))
    gh__set_msg(msg, cap, "limit: a whole number from 1 to %d", GH__LIMIT_MAX);
  else if (!calendar && a != GH_LIMIT_CONCURRENCY && (!cJSON_IsNumber(period) || period->valuedouble < 0.001 || period->valuedouble > 1e9))
    gh__set_msg(msg, cap, "period: seconds, from 0.001");
  else if (burst && (!cJSON_IsNumber(burst) || burst->valuedouble < 1 || burst->valuedouble > GH__LIMIT_MAX ||
                     burst->valuedouble != floor(burst->valuedouble)))
    gh__set_msg(msg, cap, "burst: a whole number from 1 to %d", GH__LIMIT_MAX);
  else if (timeout && (!cJSON_IsNumber(timeout) || timeout->valuedouble < 0.001 || timeout->valuedouble > 1e7))
    gh__set_msg(msg, cap, "timeout: seconds, from 0.001 to 1e7");
  else if (memory && (!cJSON_IsNumber(memory) || memory->valuedouble < 0 || memory->valuedouble > 1e12))
    gh__set_msg(msg, cap, "memory: bytes");
  else {
    int64_t period_ms = period ? llround(period->valuedouble * 1000.0) : 0;
    rc = gh_limiter_new(out, name->valuestring, a, (uint64_t)limit->valuedouble, period_ms,
                        burst ? (uint64_t)burst->valuedouble : 0, memory ? (size_t)memory->valuedouble : 0);
    if (!rc && timeout) rc = gh_limiter_set_timeout(*out, llround(timeout->valuedouble * 1000.0));
    if (rc && *out) gh_limiter_free(*out), *out = NULL; /* a limiter half made holds its whole store */
    if (rc == GH_EINVAL) gh__set_msg(msg, cap, "values out of range"), rc = GH_EPARSE;
  }
done:
  cJSON_Delete(doc);
  return rc;
}
