#include "limit_store.h"

#include <sched.h>
#include <string.h>

#include "../core/core.h"

#define WAYS 8
#define MAX_SHARDS 64

int gh__limit_store_init(gh__limit_store *s, size_t memory_bytes) {
  memset(s, 0, sizeof *s);
  size_t sets = memory_bytes / (WAYS * sizeof(gh__limit_entry));
  s->n_shards = sets >= MAX_SHARDS * 4 ? MAX_SHARDS : 1;
  size_t per = sets / s->n_shards;
  if (!per) return GH_EINVAL;
  s->shards = gh__calloc(s->n_shards, sizeof *s->shards);
  if (!s->shards) return GH_ENOMEM;
  for (size_t i = 0; i < s->n_shards; i++) {
    atomic_flag_clear(&s->shards[i].lock);
    s->shards[i].sets = per;
    if (!(s->shards[i].entries = gh__calloc(per * WAYS, sizeof(gh__limit_entry)))) {
      gh__limit_store_destroy(s);
      return GH_ENOMEM;
    }
  }
  atomic_init(&s->active_evictions, 0);
  return GH_OK;
}

void gh__limit_store_destroy(gh__limit_store *s) {
  for (size_t i = 0; s->shards && i < s->n_shards; i++) gh__free(s->shards[i].entries);
  gh__free(s->shards);
  memset(s, 0, sizeof *s);
}

gh__limit_shard *gh__limit_store_shard(gh__limit_store *s, uint64_t hash) { return &s->shards[hash % s->n_shards]; }

void gh__limit_shard_lock(gh__limit_shard *sh) {
  for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&sh->lock, memory_order_acquire); spins++)
    if (spins > 64) sched_yield();
}

void gh__limit_shard_unlock(gh__limit_shard *sh) { atomic_flag_clear_explicit(&sh->lock, memory_order_release); }

static gh__limit_entry *set_of(gh__limit_shard *sh, uint64_t hash) { return &sh->entries[((hash >> 8) % sh->sets) * WAYS]; }

gh__limit_entry *gh__limit_store_find(gh__limit_shard *sh, uint64_t hash) {
  gh__limit_entry *set = set_of(sh, hash);
  for (int w = 0; w < WAYS; w++)
    if (set[w].hash == hash) return &set[w];
  return NULL;
}

gh__limit_entry *gh__limit_store_insert(gh__limit_store *s, gh__limit_shard *sh, uint64_t hash,
                                        const gh__limit_params *p, int64_t now_ms) {
  gh__limit_entry *set = set_of(sh, hash), *victim = NULL;
  int64_t soonest = INT64_MAX;
  for (int w = 0; w < WAYS; w++) {
    if (!set[w].hash) {
      victim = &set[w];
      sh->used++;
      soonest = INT64_MIN;
      break;
    }
    int64_t idle = gh__limit_idle_at(p, &set[w].state);
    if (idle < soonest) soonest = idle, victim = &set[w];
  }
  /* an entry that is not idle yet was still limiting someone */
  if (soonest > now_ms) atomic_fetch_add_explicit(&s->active_evictions, 1, memory_order_relaxed);
  victim->hash = hash;
  return victim;
}

size_t gh__limit_store_capacity(const gh__limit_store *s) { return s->n_shards * s->shards[0].sets * WAYS; }

size_t gh__limit_store_used(gh__limit_store *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n_shards; i++) {
    gh__limit_shard_lock(&s->shards[i]);
    n += s->shards[i].used;
    gh__limit_shard_unlock(&s->shards[i]);
  }
  return n;
}
