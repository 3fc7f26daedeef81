#include "limit_store.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "../core/core.h"

#define WAYS GH__LIMIT_WAYS
#define MAX_SHARDS 64 /* a power of two */
#define MAX_SETS_PER_SHARD ((size_t)1 << 24) /* 192 GiB in all */

int gh__limit_store_init(gh__limit_store *s, size_t memory_bytes) {
  memset(s, 0, sizeof *s);
  size_t sets = memory_bytes / sizeof(gh__limit_set);
  s->n_shards = sets >= MAX_SHARDS * 4 ? MAX_SHARDS : 1;
  size_t per = sets / s->n_shards;
  if (!per) return GH_EINVAL;
  if (per > MAX_SETS_PER_SHARD) per = MAX_SETS_PER_SHARD; /* set_of's multiply stays in 64 bits */
  s->shards = gh__calloc(s->n_shards, sizeof *s->shards);
  /* one block for every shard's sets: advised, then touched, so the pages are
   * committed now, in huge pages, and no decision takes a page fault */
  size_t bytes = s->n_shards * per * sizeof(gh__limit_set);
  s->block = s->shards ? gh__malloc(bytes + 64) : NULL;
  if (!s->block) {
    gh__limit_store_destroy(s);
    return GH_ENOMEM;
  }
  /* sets on cache-line boundaries: a set's hashes are one line */
  gh__limit_set *all = (gh__limit_set *)(((uintptr_t)s->block + 63) & ~(uintptr_t)63);
  gh__prefer_huge_pages(all, bytes);
  memset(all, 0, bytes);
  for (size_t i = 0; i < s->n_shards; i++) {
    atomic_flag_clear(&s->shards[i].lock);
    s->shards[i].sets = per;
    s->shards[i].sets_v = all + i * per;
  }
  atomic_init(&s->active_evictions, 0);
  return GH_OK;
}

void gh__limit_store_destroy(gh__limit_store *s) {
  gh__free(s->block);
  gh__free(s->shards);
  memset(s, 0, sizeof *s);
}

/* Shards from the high bits, sets from bits 8-47: independent, and clear of
 * bit 0, which every hash has set (0 marks an empty way). */
gh__limit_shard *gh__limit_store_shard(gh__limit_store *s, uint64_t hash) {
  return &s->shards[(hash >> 48) & (s->n_shards - 1)]; /* 1 or 64 shards */
}

void gh__limit_shard_lock(gh__limit_shard *sh) {
  for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&sh->lock, memory_order_acquire); spins++)
    if (spins > 64) sched_yield();
}

void gh__limit_shard_unlock(gh__limit_shard *sh) { atomic_flag_clear_explicit(&sh->lock, memory_order_release); }

/* Bits 8-47 scaled onto [0, sets) by a multiply, not a division. */
static gh__limit_set *set_of(gh__limit_shard *sh, uint64_t hash) {
  uint64_t bits = (hash >> 8) & 0xFFFFFFFFFFull;
  return &sh->sets_v[(size_t)((bits * (uint64_t)sh->sets) >> 40)];
}

gh__limit_state *gh__limit_store_find(gh__limit_shard *sh, uint64_t hash) {
  gh__limit_set *set = set_of(sh, hash);
  /* the state lines load while the hashes are compared */
  __builtin_prefetch(&set->state[0], 1);
  __builtin_prefetch(&set->state[WAYS / 2], 1);
  for (int w = 0; w < WAYS; w++)
    if (set->hash[w] == hash) return &set->state[w];
  return NULL;
}

gh__limit_state *gh__limit_store_insert(gh__limit_store *s, gh__limit_shard *sh, uint64_t hash,
                                        const gh__limit_params *p, int64_t now_ms) {
  gh__limit_set *set = set_of(sh, hash);
  int victim = -1;
  for (int w = 0; w < WAYS && victim < 0; w++) /* an empty way: the hash line alone says so */
    if (!set->hash[w]) victim = w, sh->used++;
  if (victim < 0) {
    int64_t soonest = INT64_MAX;
    for (int w = 0; w < WAYS; w++) {
      int64_t idle = gh__limit_idle_at(p, &set->state[w]);
      if (idle < soonest) soonest = idle, victim = w;
    }
    /* an entry that is not idle yet was still limiting someone */
    if (soonest > now_ms) atomic_fetch_add_explicit(&s->active_evictions, 1, memory_order_relaxed);
  }
  set->hash[victim] = hash;
  return &set->state[victim];
}

size_t gh__limit_store_capacity(const gh__limit_store *s) { return s->n_shards * s->shards[0].sets * WAYS; }
size_t gh__limit_store_bytes(const gh__limit_store *s) { return s->n_shards * s->shards[0].sets * sizeof(gh__limit_set); }

size_t gh__limit_store_used(gh__limit_store *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n_shards; i++) {
    gh__limit_shard_lock(&s->shards[i]);
    n += s->shards[i].used;
    gh__limit_shard_unlock(&s->shards[i]);
  }
  return n;
}
