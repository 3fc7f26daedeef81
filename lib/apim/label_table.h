/* Labelled values with bounded cardinality, found and added without a lock:
 * the first thread to see a label set claims a slot with one compare-and-swap
 * and gets a dense value index; once `max` sets are known, every new one
 * shares the overflow value (index `max`). Used for metric series, counters
 * and usage, whose values are atomics the callers update. */
#ifndef GH_LABEL_TABLE_H
#define GH_LABEL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GH__LABEL_KEY_MAX 320 /* bytes of one encoded label set */
#define GH__LABEL_MAX 64      /* bytes kept of one label value (longer ones are cut) */

typedef struct gh__label_table gh__label_table;

/* A table for up to max label sets, with (max + 1) zeroed values of value_size bytes. NULL on allocation failure. */
gh__label_table *gh__label_table_new(size_t max, size_t value_size);
void gh__label_table_free(gh__label_table *t);

/* Encodes n labels (NULL reads as "") into key: each as one length byte and
 * its bytes, cut at GH__LABEL_MAX. Returns the length. */
size_t gh__label_key(char key[GH__LABEL_KEY_MAX], const char *const *labels, size_t n);
/* Label i of an encoded key, as a slice (*len); NULL past the end. */
const char *gh__label_key_part(const char *key, size_t key_len, size_t i, size_t *len);

/* The value for an encoded key, added when new; the overflow value when the table is full. Never NULL. */
void *gh__label_table_value(gh__label_table *t, const char *key, size_t len);

/* The last label set one thread looked up in a table: the same set again
 * (the common case: one route, one consumer) costs one comparison. */
typedef struct gh__label_cache {
  const gh__label_table *table;
  void *value;
  size_t len;
  char key[GH__LABEL_KEY_MAX];
} gh__label_cache;
/* As gh__label_table_value, through a cache owned by the calling thread (NULL: none). */
static inline void *gh__label_table_value_cached(gh__label_table *t, const char *key, size_t len, gh__label_cache *c) {
  if (c && c->table == t && c->len == len && memcmp(c->key, key, len) == 0) return c->value;
  void *v = gh__label_table_value(t, key, len);
  if (c && len <= GH__LABEL_KEY_MAX) c->table = t, c->value = v, c->len = len, memcpy(c->key, key, len);
  return v;
}
/* Visits every known label set with its value, then the overflow value with key NULL when it was used. */
void gh__label_table_each(const gh__label_table *t, void (*fn)(void *ud, const char *key, size_t len, void *value),
                          void *ud);
/* How many recordings went to the overflow value. */
uint64_t gh__label_table_overflowed(const gh__label_table *t);

#endif
