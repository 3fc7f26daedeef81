/* Limiters: their parameters and lifecycle, local decisions over one or
 * several limits (all or nothing), and the JSON form. Redis modes live in
 * limiter_redis.c and limiter_synced.c; what a 429 says in limit_fields.c. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"
#include "limiter_internal.h"

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
  atomic_init(&l->degraded, false);
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
  GH__CONFIGURING(l);
  if (timeout_ms <= 0 || timeout_ms > (int64_t)1 << 40) return GH_EINVAL; /* as a period: ~35 years */
  l->p.timeout_ms = timeout_ms;
  return GH_OK;
}

int gh_limiter_build(gh_limiter *l) {
  GH__CONFIGURING(l);
  l->built = true;
  return GH_OK;
}

const char *gh_limiter_name(const gh_limiter *l) { return l ? l->name : NULL; }
size_t gh_limiter_capacity(const gh_limiter *l) { return l ? gh__limit_store_capacity(&l->store) : 0; }
size_t gh_limiter_memory(const gh_limiter *l) { return l ? gh__limit_store_bytes(&l->store) : 0; }
size_t gh_limiter_tracked_keys(const gh_limiter *l) { return l ? gh__limit_store_used((gh__limit_store *)&l->store) : 0; }
uint64_t gh_limiter_active_evictions(const gh_limiter *l) {
  return l ? atomic_load(&((gh_limiter *)l)->store.active_evictions) : 0;
}

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
  return x < y ? -1 : x > y;
}

int gh_limiter_take_all(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                        uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                        int64_t *retry_after_ms) {
  if (!limiters || !keys || !key_lens || !allowed || !n || n > MAX_TAKE_ALL || cost > GH__LIMIT_MAX ||
      !gh__time_ok(now_ms))
    return GH_EINVAL;
  for (size_t i = 0; i < n; i++) {
    GH__LIMITER_BUILT(limiters[i]);
    if ((!keys[i] && key_lens[i]) || (limiters[i]->redis != NULL) != (limiters[0]->redis != NULL))
      return GH_EINVAL; /* all local, or all in one Redis */
  }
  if (limiters[0]->redis)
    return gh__limiter_take_remote(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
  return gh__limiter_take_local(limiters, keys, key_lens, n, cost, now_ms, allowed, denied_by, remaining, retry_after_ms);
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
  uint64_t hash = gh__limiter_key_hash(l, key, len);
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
  if (newly_dirty) gh__limiter_mark_dirty(l, key, len);
  *allowed = o.allowed;
  if (remaining) *remaining = (uint64_t)(o.remaining > 0 ? o.remaining : 0);
  if (retry_after_ms) *retry_after_ms = o.allowed ? 0 : o.retry_after_ms < 0 ? -1 : o.retry_after_ms;
  return GH_OK;
}

int gh__limiter_take_local(gh_limiter *const *limiters, const char *const *keys, const size_t *key_lens, size_t n,
                      uint64_t cost, int64_t now_ms, int *allowed, size_t *denied_by, uint64_t *remaining,
                      int64_t *retry_after_ms) {
  if (n == 1) {
    int rc = take_one_local(limiters[0], keys[0], key_lens[0], cost, now_ms, allowed, remaining, retry_after_ms);
    if (denied_by) *denied_by = 0;
    return rc;
  }
  uint64_t hash[MAX_TAKE_ALL];
  gh__limit_shard *shard[MAX_TAKE_ALL], *order[MAX_TAKE_ALL];
  for (size_t i = 0; i < n; i++) {
    hash[i] = gh__limiter_key_hash(limiters[i], keys[i], key_lens[i]);
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
  size_t first_denial = n, tightest = 0;
  int64_t left = INT64_MAX, retry = 0;
  for (size_t i = 0; i < n; i++) {
    gh__limit_outcome o;
    entry[i] = gh__limit_store_find(shard[i], hash[i]);
    if (limiters[i]->synced) gh__limit_step_synced(&limiters[i]->p, entry[i], (int64_t)cost, now_ms, &next[i], &o);
    else gh__limit_step(&limiters[i]->p, entry[i], (int64_t)cost, now_ms, &next[i], &o);
    if (o.remaining < left) left = o.remaining, tightest = i;
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
    if (newly_dirty[i]) gh__limiter_mark_dirty(limiters[i], keys[i], key_lens[i]);
  *allowed = ok;
  if (denied_by) *denied_by = ok ? tightest : first_denial;
  if (remaining) *remaining = (uint64_t)(left > 0 ? left : 0);
  if (retry_after_ms) *retry_after_ms = retry;
  return GH_OK;
}

int gh_limiter_take(gh_limiter *l, const char *key, size_t len, uint64_t cost, int64_t now_ms, int *allowed,
                    uint64_t *remaining, int64_t *retry_after_ms) {
  GH__LIMITER_BUILT(l);
  if ((!key && len) || !allowed || cost > GH__LIMIT_MAX || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (l->redis) return gh__limiter_take_remote(&l, &key, &len, 1, cost, now_ms, allowed, NULL, remaining, retry_after_ms);
  return take_one_local(l, key, len, cost, now_ms, allowed, remaining, retry_after_ms);
}

int gh__limiter_release_local(gh_limiter *l, const char *key, size_t len, uint64_t cost) {
  uint64_t h = gh__limiter_key_hash(l, key, len);
  gh__limit_shard *sh = gh__limit_store_shard(&l->store, h);
  gh__limit_shard_lock(sh);
  gh__limit_state *e = gh__limit_store_find(sh, h);
  if (e) gh__limit_release(&l->p, e, (int64_t)cost);
  gh__limit_shard_unlock(sh);
  return e ? GH_OK : GH_ENOTFOUND;
}

int gh_limiter_release(gh_limiter *l, const char *key, size_t len, uint64_t cost) {
  GH__LIMITER_BUILT(l);
  if ((!key && len) || l->p.algorithm != GH_LIMIT_CONCURRENCY || cost > GH__LIMIT_MAX) return GH_EINVAL;
  if (l->redis) return gh__limiter_release_remote(l, key, len, cost);
  return gh__limiter_release_local(l, key, len, cost);
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

