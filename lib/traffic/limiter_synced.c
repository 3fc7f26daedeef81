/* Synced mode: decisions stay local, and counts are pushed to Redis and
 * merged there when the host calls gh_limiter_sync from its timer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../store/redis.h"
#include "limiter_internal.h"

#define MAX_DIRTY (1u << 20)
#define SYNC_BATCH 256
#define SYNC_NAME_MAX 600

/* Remembers a synced key for the next push (bounded: beyond MAX_DIRTY keys per
 * interval the count stays local until the key is touched after a sync). */
void gh__limiter_mark_dirty(gh_limiter *l, const char *key, size_t len) {
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
  GH__CONFIGURING(l);
  if (!r || l->redis) return GH_EINVAL; /* strict or synced, not both */
  if (!gh__redis_built(r)) return GH_EMISUSE;
  if (l->p.algorithm != GH_LIMIT_FIXED_WINDOW && l->p.algorithm != GH_LIMIT_QUOTA_DAY &&
      l->p.algorithm != GH_LIMIT_QUOTA_MONTH)
    return GH_EUNSUPPORTED;
  if (l->p.limit > 0x0FFFFFFF) return GH_EINVAL; /* counts are packed in 32 bits */
  l->synced = r;
  return GH_OK;
}

/* Takes a key's local count out of its state (0 if none): what one sync pushes. */
static int64_t take_pending(gh_limiter *l, const char *key, size_t len, int64_t *window) {
  uint64_t h = gh__limiter_key_hash(l, key, len);
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
  uint64_t h = gh__limiter_key_hash(l, key, len);
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
  GH__LIMITER_BUILT(l);
  if (!l->synced || !gh__time_ok(now_ms)) return GH_EINVAL;
  pthread_mutex_lock(&l->dirty_lock);
  char **keys = l->dirty;
  size_t *lens = l->dirty_lens, n = l->n_dirty;
  l->dirty = NULL, l->dirty_lens = NULL, l->n_dirty = l->cap_dirty = 0;
  pthread_mutex_unlock(&l->dirty_lock);
  char(*names)[SYNC_NAME_MAX] = n ? gh__malloc(SYNC_BATCH * sizeof *names) : NULL;
  int rc = n && !names ? GH_ENOMEM : GH_OK;
  if (rc)
    for (size_t k = 0; k < n; k++) gh__limiter_mark_dirty(l, keys[k], lens[k]);
  for (size_t start = 0; start < n && !rc; start += SYNC_BATCH) {
    size_t m = n - start < SYNC_BATCH ? n - start : SYNC_BATCH;
    const char *name_ptrs[SYNC_BATCH];
    size_t name_lens[SYNC_BATCH], used = 0, index[SYNC_BATCH];
    int64_t deltas[SYNC_BATCH], ttls[SYNC_BATCH], windows[SYNC_BATCH], totals[SYNC_BATCH];
    for (size_t i = 0; i < m; i++) {
      size_t k = start + i;
      int64_t w = 0, pending = take_pending(l, keys[k], lens[k], &w), wnow, end;
      gh__limit_window(&l->p, now_ms, &wnow, &end);
      /* as strict mode's keys: the name's length first, for names holding ':' */
      int len = snprintf(names[used], SYNC_NAME_MAX, "gh:rs:%zu:%s:%lld:", strlen(l->name), l->name, (long long)w);
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
      if (rc) gh__limiter_mark_dirty(l, keys[k], lens[k]); /* pushed again at the next sync */
    }
    if (!rc) gh__limiter_recovered(l);
    if (rc) {
      gh__limiter_degraded(l);
      for (size_t k = start + m; k < n; k++) gh__limiter_mark_dirty(l, keys[k], lens[k]);
    }
  }
  gh__free(names);
  for (size_t k = 0; k < n; k++) gh__free(keys[k]);
  gh__free(keys);
  gh__free(lens);
  return rc;
}
