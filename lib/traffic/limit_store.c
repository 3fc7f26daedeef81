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

void gh__limit_shard_wait(gh__limit_shard *sh) {
  for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&sh->lock, memory_order_acquire); spins++)
    if (spins > 64) sched_yield();
}

gh__limit_state *gh__limit_store_evict(gh__limit_store *s, gh__limit_set *set, uint64_t hash, const gh__limit_params *p,
                                       int64_t now_ms) {
  int victim = 0;
  int64_t soonest = INT64_MAX;
  for (int w = 0; w < WAYS; w++) {
    int64_t idle = gh__limit_idle_at(p, &set->state[w]);
    if (idle < soonest) soonest = idle, victim = w;
  }
  /* an entry that is not idle yet was still limiting someone */
  if (soonest > now_ms) atomic_fetch_add_explicit(&s->active_evictions, 1, memory_order_relaxed);
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
