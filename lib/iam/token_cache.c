/* Sharded set-associative cache: a token hashes to one shard (own mutex) and
 * one set of WAYS slots in it; a full set evicts its soonest-expiring entry.
 * Memory is bounded by max_entries slots plus the tokens they hold, each at
 * most the verifier's maximum token length. A hit compares the whole token. */
#include "token_cache.h"

#include <pthread.h>
#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"
#include "principal.h"

#define SHARDS 16
#define WAYS 4

typedef struct slot {
  uint64_t hash, gen;
  int64_t expires_ms;
  char *token;
  size_t len;
  gh_principal *principal;
} slot;

typedef struct shard {
  pthread_mutex_t lock;
  slot *slots; /* sets * WAYS */
  size_t sets, used;
  char pad[64];
} shard;

struct gh__token_cache {
  uint64_t seed;
  shard shards[SHARDS];
};

static void slot_clear(slot *s) {
  gh__free(s->token);
  gh_principal_free(s->principal);
  memset(s, 0, sizeof *s);
}

int gh__token_cache_new(gh__token_cache **out, size_t max_entries) {
  gh__token_cache *c = gh__calloc(1, sizeof *c);
  if (!c) return GH_ENOMEM;
  c->seed = gh__hash_seed();
  size_t sets = max_entries / (SHARDS * WAYS);
  if (!sets) sets = 1;
  for (int i = 0; i < SHARDS; i++) {
    c->shards[i].sets = sets;
    c->shards[i].slots = gh__calloc(sets * WAYS, sizeof(slot));
    pthread_mutex_init(&c->shards[i].lock, NULL);
    if (!c->shards[i].slots) {
      gh__token_cache_free(c);
      return GH_ENOMEM;
    }
  }
  *out = c;
  return GH_OK;
}

void gh__token_cache_free(gh__token_cache *c) {
  if (!c) return;
  for (int i = 0; i < SHARDS; i++) {
    shard *sh = &c->shards[i];
    if (sh->slots)
      for (size_t j = 0; j < sh->sets * WAYS; j++) slot_clear(&sh->slots[j]);
    gh__free(sh->slots);
    pthread_mutex_destroy(&sh->lock);
  }
  gh__free(c);
}

static slot *set_of(shard *sh, uint64_t h) { return &sh->slots[((h >> 8) % sh->sets) * WAYS]; }

gh_principal *gh__token_cache_get(gh__token_cache *c, const char *token, size_t len, uint64_t gen, int64_t now_ms) {
  uint64_t h = gh__hash64(token, len, c->seed);
  shard *sh = &c->shards[h % SHARDS];
  gh_principal *p = NULL;
  pthread_mutex_lock(&sh->lock);
  slot *set = set_of(sh, h);
  for (int w = 0; w < WAYS; w++) {
    slot *s = &set[w];
    if (s->principal && s->hash == h && s->len == len && memcmp(s->token, token, len) == 0) {
      if (s->gen == gen && now_ms < s->expires_ms) p = gh__principal_ref(s->principal);
      else {
        slot_clear(s);
        sh->used--;
      }
      break;
    }
  }
  pthread_mutex_unlock(&sh->lock);
  return p;
}

void gh__token_cache_put(gh__token_cache *c, const char *token, size_t len, uint64_t gen, int64_t expires_ms,
                         gh_principal *p) {
  uint64_t h = gh__hash64(token, len, c->seed);
  shard *sh = &c->shards[h % SHARDS];
  char *copy = gh__strndup(token, len);
  if (!copy) return;
  pthread_mutex_lock(&sh->lock);
  slot *set = set_of(sh, h), *victim = &set[0];
  for (int w = 0; w < WAYS; w++) {
    slot *s = &set[w];
    if (!s->principal || (s->hash == h && s->len == len && memcmp(s->token, token, len) == 0)) {
      victim = s;
      break;
    }
    if (s->expires_ms < victim->expires_ms) victim = s;
  }
  if (victim->principal) slot_clear(victim);
  else sh->used++;
  victim->hash = h;
  victim->gen = gen;
  victim->expires_ms = expires_ms;
  victim->token = copy;
  victim->len = len;
  victim->principal = gh__principal_ref(p);
  pthread_mutex_unlock(&sh->lock);
}

size_t gh__token_cache_size(gh__token_cache *c) {
  size_t n = 0;
  for (int i = 0; i < SHARDS; i++) {
    pthread_mutex_lock(&c->shards[i].lock);
    n += c->shards[i].used;
    pthread_mutex_unlock(&c->shards[i].lock);
  }
  return n;
}
