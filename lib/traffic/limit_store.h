/* Per-limiter key state in a fixed byte budget: 32-byte entries in 8-way
 * sets, sharded, each shard behind a spinlock. Callers lock a shard, find or
 * insert, update, unlock. */
#ifndef GH_LIMIT_STORE_H
#define GH_LIMIT_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "limit_algorithms.h"

typedef struct gh__limit_entry {
  uint64_t hash; /* 0: empty (real hashes have the low bit set) */
  gh__limit_state state;
} gh__limit_entry;

typedef struct gh__limit_shard {
  atomic_flag lock;
  gh__limit_entry *entries; /* sets x 8 */
  size_t sets, used;
  char pad[32];
} gh__limit_shard;

typedef struct gh__limit_store {
  gh__limit_shard *shards;
  size_t n_shards;
  atomic_uint_fast64_t active_evictions;
} gh__limit_store;

int gh__limit_store_init(gh__limit_store *s, size_t memory_bytes);
void gh__limit_store_destroy(gh__limit_store *s);
gh__limit_shard *gh__limit_store_shard(gh__limit_store *s, uint64_t hash);
void gh__limit_shard_lock(gh__limit_shard *sh);
void gh__limit_shard_unlock(gh__limit_shard *sh);
gh__limit_entry *gh__limit_store_find(gh__limit_shard *sh, uint64_t hash);
/* A slot for a new key: empty, else idle at now_ms, else the one idle soonest (counted). */
gh__limit_entry *gh__limit_store_insert(gh__limit_store *s, gh__limit_shard *sh, uint64_t hash,
                                        const gh__limit_params *p, int64_t now_ms);
size_t gh__limit_store_capacity(const gh__limit_store *s);
size_t gh__limit_store_used(gh__limit_store *s);

#endif
