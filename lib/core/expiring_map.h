/* A bounded, sharded, thread-safe map from byte strings to values that
 * expire: the verified-token cache and the DPoP jti replay cache. A key
 * hashes to one shard (its own mutex) and one set of WAYS slots; a full set
 * evicts its soonest-expiring entry, and evicting a live one is counted.
 * Lookups compare the whole key, never only its hash. */
#ifndef GH_EXPIRING_MAP_H
#define GH_EXPIRING_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct gh__expiring_map gh__expiring_map;

/* How the map holds values: ref takes a reference for a caller, release drops one. */
typedef void *(*gh__value_ref_fn)(void *value);
typedef void (*gh__value_release_fn)(void *value);

int gh__expiring_map_new(gh__expiring_map **out, size_t capacity, gh__value_ref_fn ref, gh__value_release_fn release);
/* Never evict a live entry: a store into a full set fails with GH_ETOOBIG
 * instead (a revocation list must not forget). Call before first use. */
void gh__expiring_map_keep_live(gh__expiring_map *m);
/* Whether key is present and live at now_ms. */
int gh__expiring_map_contains(gh__expiring_map *m, const char *key, size_t len, int64_t now_ms);
void gh__expiring_map_free(gh__expiring_map *m);
/* The value under key (a new reference) if live at now_ms and stored with the
 * same tag (entries of another tag are misses: a generation, say); else NULL. */
void *gh__expiring_map_get(gh__expiring_map *m, const char *key, size_t len, uint64_t tag, int64_t now_ms);
/* Stores value (the map takes a reference) until expires_ms. GH_OK, GH_ENOMEM,
 * or GH_ETOOBIG (a keep_live map whose set holds only live entries at now_ms). */
int gh__expiring_map_put(gh__expiring_map *m, const char *key, size_t len, uint64_t tag, int64_t expires_ms,
                         void *value, int64_t now_ms);
/* Adds a key with no value unless it is present and live: 1 added, 0 present, GH_ENOMEM. */
int gh__expiring_map_add(gh__expiring_map *m, const char *key, size_t len, int64_t expires_ms, int64_t now_ms);
size_t gh__expiring_map_size(gh__expiring_map *m);
uint64_t gh__expiring_map_evictions(const gh__expiring_map *m);

#endif
