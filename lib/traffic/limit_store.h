/* Per-limiter key state in a fixed byte budget: 8-way sets of one cache line
 * of key hashes and two of 16-byte states (24 bytes a key), sharded, each
 * shard behind a spinlock. Callers lock a shard, find or insert, update, unlock. */
#ifndef GH_LIMIT_STORE_H
#define GH_LIMIT_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "limit_algorithms.h"

#define GH__LIMIT_WAYS 8

typedef struct gh__limit_set {
  uint64_t hash[GH__LIMIT_WAYS]; /* 0: empty (real hashes have the low bit set) */
  gh__limit_state state[GH__LIMIT_WAYS];
} gh__limit_set;

typedef struct gh__limit_shard {
  atomic_flag lock;
  gh__limit_set *sets_v;
  size_t sets, used;
  char pad[32];
} gh__limit_shard;

typedef struct gh__limit_store {
  gh__limit_shard *shards;
  void *block; /* the shards' sets, one allocation */
  size_t n_shards;
  atomic_uint_fast64_t active_evictions;
} gh__limit_store;

int gh__limit_store_init(gh__limit_store *s, size_t memory_bytes);
void gh__limit_store_destroy(gh__limit_store *s);
size_t gh__limit_store_capacity(const gh__limit_store *s);
size_t gh__limit_store_bytes(const gh__limit_store *s);
size_t gh__limit_store_used(gh__limit_store *s);
/* A way for a new key in a full set: one idle at now_ms, else the one idle soonest (counted). */
gh__limit_state *gh__limit_store_evict(gh__limit_store *s, gh__limit_set *set, uint64_t hash, const gh__limit_params *p,
                                       int64_t now_ms);
void gh__limit_shard_wait(gh__limit_shard *sh);

/* The calls below are inline: a decision on a key not in cache is one memory
 * access plus a few dozen instructions, and the fewer those are, the sooner the
 * processor reaches the next decision's memory access and overlaps the two. */

/* Shards from the high bits, sets from bits 8-47: independent, and clear of
 * bit 0, which every hash has set (0 marks an empty way). */
static inline gh__limit_shard *gh__limit_store_shard(gh__limit_store *s, uint64_t hash) {
  return &s->shards[(hash >> 48) & (s->n_shards - 1)]; /* 1 or 64 shards */
}

static inline void gh__limit_shard_lock(gh__limit_shard *sh) {
  if (atomic_flag_test_and_set_explicit(&sh->lock, memory_order_acquire)) gh__limit_shard_wait(sh);
}

static inline void gh__limit_shard_unlock(gh__limit_shard *sh) {
  atomic_flag_clear_explicit(&sh->lock, memory_order_release);
}

/* Bits 8-47 scaled onto [0, sets) by a multiply, not a division. */
static inline gh__limit_set *gh__limit_set_of(const gh__limit_shard *sh, uint64_t hash) {
  uint64_t bits = (hash >> 8) & 0xFFFFFFFFFFull;
  return &sh->sets_v[(size_t)((bits * (uint64_t)sh->sets) >> 40)];
}

/* The state of a key, or NULL. */
static inline gh__limit_state *gh__limit_store_find(const gh__limit_shard *sh, uint64_t hash) {
  gh__limit_set *set = gh__limit_set_of(sh, hash);
  /* the state lines load while the hashes are compared */
  __builtin_prefetch(&set->state[0], 1);
  __builtin_prefetch(&set->state[GH__LIMIT_WAYS / 2], 1);
  for (int w = 0; w < GH__LIMIT_WAYS; w++)
    if (set->hash[w] == hash) return &set->state[w];
  return NULL;
}

/* A slot for a new key: an empty way, else gh__limit_store_evict's choice. */
static inline gh__limit_state *gh__limit_store_insert(gh__limit_store *s, gh__limit_shard *sh, uint64_t hash,
                                                      const gh__limit_params *p, int64_t now_ms) {
  gh__limit_set *set = gh__limit_set_of(sh, hash);
  for (int w = 0; w < GH__LIMIT_WAYS; w++)
    if (!set->hash[w]) {
      set->hash[w] = hash;
      sh->used++;
      return &set->state[w];
    }
  return gh__limit_store_evict(s, set, hash, p, now_ms);
}

#endif
