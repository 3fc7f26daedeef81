#include "label_table.h"

#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"

#define EMPTY 0u
#define CLAIMED 1u /* being written by the thread that claimed it */
#define READY 2u

typedef struct slot {
  atomic_uint state;
  uint32_t index; /* into the values; `max` when it came too late */
  uint64_t hash;
  uint32_t len;
} slot;

struct gh__label_table {
  size_t max, mask, value_size;
  uint64_t seed;
  atomic_size_t used;
  atomic_uint_fast64_t overflowed;
  slot *slots;
  char *keys; /* GH__LABEL_KEY_MAX bytes per slot */
  unsigned char *values;
};

gh__label_table *gh__label_table_new(size_t max, size_t value_size) {
  gh__label_table *t = gh__calloc(1, sizeof *t);
  if (!t || max == 0 || max > (1u << 24)) return gh__free(t), NULL;
  size_t n = 16;
  while (n < 2 * max) n *= 2; /* at most half full: probes stay short */
  t->max = max, t->mask = n - 1, t->value_size = value_size;
  t->seed = gh__hash_seed();
  t->slots = gh__calloc(n, sizeof *t->slots);
  t->keys = gh__malloc(n * GH__LABEL_KEY_MAX);
  t->values = gh__calloc(max + 1, value_size);
  if (!t->slots || !t->keys || !t->values) return gh__label_table_free(t), NULL;
  for (size_t i = 0; i < n; i++) atomic_init(&t->slots[i].state, EMPTY);
  atomic_init(&t->used, 0);
  atomic_init(&t->overflowed, 0);
  return t;
}

void gh__label_table_free(gh__label_table *t) {
  if (!t) return;
  gh__free(t->slots), gh__free(t->keys), gh__free(t->values), gh__free(t);
}

size_t gh__label_key(char key[GH__LABEL_KEY_MAX], const char *const *labels, size_t n) {
  size_t len = 0;
  for (size_t i = 0; i < n && len < GH__LABEL_KEY_MAX; i++) {
    size_t l = labels[i] ? strlen(labels[i]) : 0;
    if (l > GH__LABEL_MAX) l = GH__LABEL_MAX;
    if (len + 1 + l > GH__LABEL_KEY_MAX) l = GH__LABEL_KEY_MAX - len - 1;
    key[len++] = (char)l;
    if (l) memcpy(key + len, labels[i], l);
    len += l;
  }
  return len;
}

const char *gh__label_key_part(const char *key, size_t key_len, size_t i, size_t *len) {
  size_t at = 0;
  for (;;) {
    if (at >= key_len) return NULL;
    size_t l = (unsigned char)key[at];
    if (at + 1 + l > key_len) return NULL;
    if (i-- == 0) {
      *len = l;
      return key + at + 1;
    }
    at += 1 + l;
  }
}

static void *value_at(const gh__label_table *t, size_t index) { return t->values + index * t->value_size; }

void *gh__label_table_value(gh__label_table *t, const char *key, size_t len) {
  if (len > GH__LABEL_KEY_MAX) len = GH__LABEL_KEY_MAX;
  uint64_t h = gh__hash64(key, len, t->seed);
  for (size_t probe = 0, i = h & t->mask; probe <= t->mask; probe++, i = (i + 1) & t->mask) {
    slot *s = &t->slots[i];
    unsigned state = atomic_load_explicit(&s->state, memory_order_acquire);
    if (state == EMPTY) {
      if (atomic_load_explicit(&t->used, memory_order_relaxed) >= t->max) break; /* full: no new sets */
      unsigned expected = EMPTY;
      if (atomic_compare_exchange_strong_explicit(&s->state, &expected, CLAIMED, memory_order_acquire,
                                                  memory_order_acquire)) {
        size_t index = atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
        s->index = (uint32_t)(index < t->max ? index : t->max); /* too late: this set stays in the overflow */
        s->hash = h;
        s->len = (uint32_t)len;
        memcpy(t->keys + i * GH__LABEL_KEY_MAX, key, len);
        atomic_store_explicit(&s->state, READY, memory_order_release);
        if (s->index == t->max) atomic_fetch_add_explicit(&t->overflowed, 1, memory_order_relaxed);
        return value_at(t, s->index);
      }
      state = expected;
    }
    while (state == CLAIMED) state = atomic_load_explicit(&s->state, memory_order_acquire); /* a few stores away */
    if (s->hash == h && s->len == len && memcmp(t->keys + i * GH__LABEL_KEY_MAX, key, len) == 0) {
      if (s->index == t->max) atomic_fetch_add_explicit(&t->overflowed, 1, memory_order_relaxed);
      return value_at(t, s->index);
    }
  }
  atomic_fetch_add_explicit(&t->overflowed, 1, memory_order_relaxed);
  return value_at(t, t->max);
}

void gh__label_table_each(const gh__label_table *t, void (*fn)(void *ud, const char *key, size_t len, void *value),
                          void *ud) {
  for (size_t i = 0; i <= t->mask; i++) {
    slot *s = &t->slots[i];
    if (atomic_load_explicit(&s->state, memory_order_acquire) != READY || s->index == t->max) continue;
    fn(ud, t->keys + i * GH__LABEL_KEY_MAX, s->len, value_at(t, s->index));
  }
  if (gh__label_table_overflowed(t)) fn(ud, NULL, 0, value_at(t, t->max));
}

uint64_t gh__label_table_overflowed(const gh__label_table *t) {
  return atomic_load_explicit(&((gh__label_table *)t)->overflowed, memory_order_relaxed);
}
