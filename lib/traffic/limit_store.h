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
gh__limit_shard *gh__limit_store_shard(gh__limit_store *s, uint64_t hash);
void gh__limit_shard_lock(gh__limit_shard *sh);
void gh__limit_shard_unlock(gh__limit_shard *sh);
/* The state of a key, or NULL. */
gh__limit_state *gh__limit_store_find(gh__limit_shard *sh, uint64_t hash);
/* A slot for a new key: empty, else idle at now_ms, else the one idle soonest (counted). */
gh__limit_state *gh__limit_store_insert(gh__limit_store *s, gh__limit_shard *sh, uint64_t hash,
                                        const gh__limit_params *p, int64_t now_ms);
size_t gh__limit_store_capacity(const gh__limit_store *s);
size_t gh__limit_store_bytes(const gh__limit_store *s);
size_t gh__limit_store_used(gh__limit_store *s);

#endif
