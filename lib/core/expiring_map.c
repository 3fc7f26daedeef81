#include "expiring_map.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "core.h"
#include "hash64.h"

#define SHARDS 16
#define WAYS 8

typedef struct slot {
  uint64_t hash, tag;
  int64_t expires_ms;
  char *key; /* NULL: empty */
  size_t len;
  void *value;
} slot;

typedef struct shard {
  pthread_mutex_t lock;
  slot *slots; /* sets * WAYS */
  size_t sets, used;
  char pad[64];
} shard;

struct gh__expiring_map {
  uint64_t seed;
  gh__value_ref_fn ref;
  gh__value_release_fn release;
  bool keep_live;
  int locks; /* shards whose mutex was initialised, from the first */
  atomic_uint_fast64_t evictions;
  shard shards[SHARDS];
};

static void slot_clear(gh__expiring_map *m, shard *sh, slot *s) {
  gh__free(s->key);
  if (s->value && m->release) m->release(s->value);
  memset(s, 0, sizeof *s);
  sh->used--;
}

int gh__expiring_map_new(gh__expiring_map **out, size_t capacity, gh__value_ref_fn ref, gh__value_release_fn release) {
  gh__expiring_map *m = gh__calloc(1, sizeof *m);
  if (!m) return GH_ENOMEM;
  m->seed = gh__hash_seed();
  m->ref = ref;
  m->release = release;
  atomic_init(&m->evictions, 0);
  size_t sets = capacity / (SHARDS * WAYS);
  if (!sets) sets = 1;
  for (int i = 0; i < SHARDS; i++) {
    m->shards[i].sets = sets;
    m->shards[i].slots = gh__calloc(sets * WAYS, sizeof(slot));
    if (!m->shards[i].slots || pthread_mutex_init(&m->shards[i].lock, NULL)) {
      gh__expiring_map_free(m);
      return GH_ENOMEM;
    }
    m->locks++;
  }
  *out = m;
  return GH_OK;
}

void gh__expiring_map_free(gh__expiring_map *m) {
  if (!m) return;
  for (int i = 0; i < SHARDS; i++) {
    shard *sh = &m->shards[i];
    for (size_t j = 0; sh->slots && j < sh->sets * WAYS; j++)
      if (sh->slots[j].key) slot_clear(m, sh, &sh->slots[j]);
    gh__free(sh->slots);
    if (i < m->locks) pthread_mutex_destroy(&sh->lock); /* never one that was not initialised */
  }
  gh__free(m);
}

/* Locks the key's shard and returns its set; *h receives the key's hash. */
static slot *lock_set(gh__expiring_map *m, const char *key, size_t len, uint64_t *h, shard **sh) {
  *h = gh__hash64(key, len, m->seed);
  *sh = &m->shards[*h % SHARDS];
  pthread_mutex_lock(&(*sh)->lock);
  return &(*sh)->slots[((*h >> 8) % (*sh)->sets) * WAYS];
}

static slot *find(slot *set, uint64_t h, const char *key, size_t len) {
  for (int w = 0; w < WAYS; w++)
    if (set[w].key && set[w].hash == h && set[w].len == len && memcmp(set[w].key, key, len) == 0) return &set[w];
  return NULL;
}

void gh__expiring_map_keep_live(gh__expiring_map *m) { m->keep_live = true; }

/* A slot for a new entry: an empty one, else the soonest-expiring (counted if
 * live), or NULL when only live entries remain and the map keeps them. */
static slot *victim(gh__expiring_map *m, shard *sh, slot *set, int64_t now_ms) {
  slot *v = &set[0];
  for (int w = 0; w < WAYS; w++) {
    if (!set[w].key) return &set[w];
    if (set[w].expires_ms < v->expires_ms) v = &set[w];
  }
  if (v->expires_ms > now_ms) {
    if (m->keep_live) return NULL;
    atomic_fetch_add(&m->evictions, 1);
  }
  slot_clear(m, sh, v);
  return v;
}

void *gh__expiring_map_get(gh__expiring_map *m, const char *key, size_t len, uint64_t tag, int64_t now_ms) {
  uint64_t h;
  shard *sh;
  slot *set = lock_set(m, key, len, &h, &sh), *s = find(set, h, key, len);
  void *value = NULL;
  if (s) {
    if (s->tag == tag && now_ms < s->expires_ms) value = m->ref ? m->ref(s->value) : s->value;
    else slot_clear(m, sh, s);
  }
  pthread_mutex_unlock(&sh->lock);
  return value;
}

static int store(gh__expiring_map *m, const char *key, size_t len, uint64_t tag, int64_t expires_ms, void *value,
                 int64_t now_ms, bool only_if_absent) {
  char *copy = gh__strndup(key, len);
  if (!copy) return GH_ENOMEM;
  uint64_t h;
  shard *sh;
  slot *set = lock_set(m, key, len, &h, &sh), *s = find(set, h, key, len);
  if (s && only_if_absent && now_ms < s->expires_ms) {
    pthread_mutex_unlock(&sh->lock);
    gh__free(copy);
    return 0;
  }
  if (s) slot_clear(m, sh, s);
  else if (!(s = victim(m, sh, set, now_ms))) {
    pthread_mutex_unlock(&sh->lock);
    gh__free(copy);
    return GH_ETOOBIG;
  }
  *s = (slot){h, tag, expires_ms, copy, len, value && m->ref ? m->ref(value) : value};
  sh->used++;
  pthread_mutex_unlock(&sh->lock);
  return 1;
}

int gh__expiring_map_put(gh__expiring_map *m, const char *key, size_t len, uint64_t tag, int64_t expires_ms,
                         void *value, int64_t now_ms) {
  int rc = store(m, key, len, tag, expires_ms, value, now_ms, false);
  return rc < 0 ? rc : GH_OK;
}

int gh__expiring_map_add(gh__expiring_map *m, const char *key, size_t len, int64_t expires_ms, int64_t now_ms) {
  return store(m, key, len, 0, expires_ms, NULL, now_ms, true);
}

int gh__expiring_map_contains(gh__expiring_map *m, const char *key, size_t len, int64_t now_ms) {
  uint64_t h;
  shard *sh;
  slot *set = lock_set(m, key, len, &h, &sh), *s = find(set, h, key, len);
  int live = s && now_ms < s->expires_ms;
  pthread_mutex_unlock(&sh->lock);
  return live;
}

size_t gh__expiring_map_size(gh__expiring_map *m) {
  size_t n = 0;
  for (int i = 0; i < SHARDS; i++) {
    pthread_mutex_lock(&m->shards[i].lock);
    n += m->shards[i].used;
    pthread_mutex_unlock(&m->shards[i].lock);
  }
  return n;
}

uint64_t gh__expiring_map_evictions(const gh__expiring_map *m) {
  return atomic_load(&((gh__expiring_map *)m)->evictions);
}
