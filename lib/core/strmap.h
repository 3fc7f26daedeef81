/* String interning: maps byte strings to dense ids 0..n-1 (open addressing).
 * Built while compiling configuration, then only read: lookups are
 * thread-safe once building is done. */
#ifndef GH_STRMAP_H
#define GH_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/* One probe reads one slot: hash, key and id together. */
typedef struct gh__strmap_slot {
  uint64_t hash;
  const char *key; /* NULL: empty */
  uint32_t len, id;
} gh__strmap_slot;

typedef struct gh__strmap {
  uint64_t seed;
  gh__strmap_slot *slots;
  size_t mask;
  char **keys;
  size_t *lens;
  size_t count, cap;
} gh__strmap;

int gh__strmap_init(gh__strmap *m);
void gh__strmap_free(gh__strmap *m);
/* The id of (s, n), adding it when absent (*added set if non-NULL). GH_OK or GH_ENOMEM. */
int gh__strmap_intern(gh__strmap *m, const char *s, size_t n, uint32_t *id, int *added);
/* The id of (s, n), or UINT32_MAX. */
uint32_t gh__strmap_find(const gh__strmap *m, const char *s, size_t n);
static inline const char *gh__strmap_key(const gh__strmap *m, uint32_t id) { return m->keys[id]; }

#endif
