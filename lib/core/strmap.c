#include "strmap.h"

#include <string.h>

#include "core.h"
#include "hash64.h"

int gh__strmap_init(gh__strmap *m) {
  memset(m, 0, sizeof *m);
  m->seed = gh__hash_seed();
  m->mask = 15;
  m->slots = gh__calloc(16, sizeof *m->slots);
  return m->slots ? GH_OK : GH_ENOMEM;
}

void gh__strmap_free(gh__strmap *m) {
  for (size_t i = 0; i < m->count; i++) gh__free(m->keys[i]);
  gh__free(m->keys);
  gh__free(m->lens);
  gh__free(m->slots);
  memset(m, 0, sizeof *m);
}

uint32_t gh__strmap_find(const gh__strmap *m, const char *s, size_t n) {
  if (!m->slots) return UINT32_MAX;
  uint64_t h = gh__hash64(s, n, m->seed);
  for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
    const gh__strmap_slot *e = &m->slots[i];
    if (!e->key) return UINT32_MAX;
    if (e->hash == h && e->len == n && memcmp(e->key, s, n) == 0) return e->id;
  }
}

static void place(gh__strmap_slot *t, size_t mask, gh__strmap_slot e) {
  size_t i = e.hash & mask;
  while (t[i].key) i = (i + 1) & mask;
  t[i] = e;
}

static int grow(gh__strmap *m) {
  size_t slots = (m->mask + 1) * 2;
  gh__strmap_slot *t = gh__calloc(slots, sizeof *t);
  if (!t) return GH_ENOMEM;
  for (size_t i = 0; i <= m->mask; i++)
    if (m->slots[i].key) place(t, slots - 1, m->slots[i]);
  gh__free(m->slots);
  m->slots = t;
  m->mask = slots - 1;
  return GH_OK;
}

int gh__strmap_intern(gh__strmap *m, const char *s, size_t n, uint32_t *id, int *added) {
  if (added) *added = 0;
  uint32_t found = gh__strmap_find(m, s, n);
  if (found != UINT32_MAX) {
    *id = found;
    return GH_OK;
  }
  if ((m->count + 1) * 2 > m->mask + 1 && grow(m)) return GH_ENOMEM; /* load <= 1/2 */
  if (m->count == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 16;
    char **k = gh__realloc(m->keys, cap * sizeof *k);
    if (!k) return GH_ENOMEM;
    m->keys = k;
    size_t *l = gh__realloc(m->lens, cap * sizeof *l);
    if (!l) return GH_ENOMEM;
    m->lens = l;
    m->cap = cap;
  }
  char *copy = gh__strndup(s, n);
  if (!copy) return GH_ENOMEM;
  if (n > UINT32_MAX) {
    gh__free(copy);
    return GH_EINVAL;
  }
  m->keys[m->count] = copy;
  m->lens[m->count] = n;
  place(m->slots, m->mask, (gh__strmap_slot){gh__hash64(s, n, m->seed), copy, (uint32_t)n, (uint32_t)m->count});
  *id = (uint32_t)m->count++;
  if (added) *added = 1;
  return GH_OK;
}
