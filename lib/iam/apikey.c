/* API key store: open-addressing table keyed by SHA-256(key). Only digests are
 * stored; the final comparison is constant-time over the whole digest. */
#include "gatehouse/apikey.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "../core/core.h"
#include "../crypto/crypto.h"

struct gh_apikey {
  unsigned char digest[GH_APIKEY_DIGEST_LEN];
  char *consumer, *scopes;
  int64_t expires_ms;
  atomic_bool revoked;
};

struct gh_apikey_store {
  bool built;
  gh_apikey **entries;
  size_t count, cap;
  gh_apikey **table; /* power-of-two slots, NULL = empty */
  size_t mask;
};

size_t gh_apikey_max_len(void) { return GH_APIKEY_MAX_LEN; }

const char *gh_apikey_reason_name(int reason) {
  static const char *const names[] = {"OK", "UNKNOWN", "EXPIRED", "REVOKED", "MALFORMED"};
  return reason >= 0 && reason <= GH_APIKEY_MALFORMED ? names[reason] : "UNKNOWN";
}

int gh_apikey_store_new(gh_apikey_store **out) {
  if (!out) return GH_EINVAL;
  *out = gh__calloc(1, sizeof **out);
  return *out ? GH_OK : GH_ENOMEM;
}

static void entry_free(gh_apikey *e) {
  if (!e) return;
  gh__free(e->consumer);
  gh__free(e->scopes);
  gh__free_secret(e, sizeof *e);
}

void gh_apikey_store_free(gh_apikey_store *s) {
  if (!s) return;
  for (size_t i = 0; i < s->count; i++) entry_free(s->entries[i]);
  gh__free(s->entries);
  gh__free(s->table);
  gh__free(s);
}

static uint64_t slot_of(const unsigned char *digest) {
  uint64_t h;
  memcpy(&h, digest, sizeof h); /* SHA-256 output is already uniform */
  return h;
}

static gh_apikey *find(const gh_apikey_store *s, const unsigned char *digest) {
  if (s->built) {
    for (size_t i = slot_of(digest) & s->mask;; i = (i + 1) & s->mask) {
      gh_apikey *e = s->table[i];
      if (!e) return NULL;
      if (gh__ct_equal(e->digest, digest, GH_APIKEY_DIGEST_LEN)) return e;
    }
  }
  for (size_t i = 0; i < s->count; i++)
    if (gh__ct_equal(s->entries[i]->digest, digest, GH_APIKEY_DIGEST_LEN)) return s->entries[i];
  return NULL;
}

int gh_apikey_store_add_digest(gh_apikey_store *s, const unsigned char *digest, const char *consumer_id,
                               const char *scopes, int64_t expires_ms) {
  if (!s || !digest || !consumer_id || expires_ms < 0) return GH_EINVAL;
  if (s->built) return GH_EMISUSE;
  if (s->count == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    gh_apikey **v = gh__realloc(s->entries, cap * sizeof *v);
    if (!v) return GH_ENOMEM;
    s->entries = v;
    s->cap = cap;
  }
  gh_apikey *e = gh__calloc(1, sizeof *e);
  if (!e) return GH_ENOMEM;
  memcpy(e->digest, digest, GH_APIKEY_DIGEST_LEN);
  e->consumer = gh__strndup(consumer_id, strlen(consumer_id));
  e->scopes = gh__strndup(scopes ? scopes : "", scopes ? strlen(scopes) : 0);
  e->expires_ms = expires_ms;
  atomic_init(&e->revoked, false);
  if (!e->consumer || !e->scopes) {
    entry_free(e);
    return GH_ENOMEM;
  }
  s->entries[s->count++] = e;
  return GH_OK;
}

int gh_apikey_store_add(gh_apikey_store *s, const char *key, size_t len, const char *consumer_id, const char *scopes,
                        int64_t expires_ms) {
  if (!key || !len || len > GH_APIKEY_MAX_LEN) return GH_EINVAL;
  unsigned char digest[32];
  gh__hash_digest(GH__SHA256, key, len, digest);
  return gh_apikey_store_add_digest(s, digest, consumer_id, scopes, expires_ms);
}

int gh_apikey_store_build(gh_apikey_store *s) {
  if (!s) return GH_EINVAL;
  if (s->built) return GH_EMISUSE;
  size_t slots = 16;
  while (slots < s->count * 2) slots *= 2; /* load factor <= 1/2 */
  s->table = gh__calloc(slots, sizeof *s->table);
  if (!s->table) return GH_ENOMEM;
  s->mask = slots - 1;
  for (size_t i = 0; i < s->count; i++) {
    size_t j = slot_of(s->entries[i]->digest) & s->mask;
    for (; s->table[j]; j = (j + 1) & s->mask)
      if (gh__ct_equal(s->table[j]->digest, s->entries[i]->digest, GH_APIKEY_DIGEST_LEN)) {
        gh__free(s->table);
        s->table = NULL;
        return GH_EEXIST;
      }
    s->table[j] = s->entries[i];
  }
  s->built = true;
  return GH_OK;
}

int gh_apikey_store_revoke(gh_apikey_store *s, const char *key, size_t len) {
  if (!s || !key || !len || len > GH_APIKEY_MAX_LEN) return GH_EINVAL;
  unsigned char digest[32];
  gh__hash_digest(GH__SHA256, key, len, digest);
  gh_apikey *e = find(s, digest);
  if (!e) return GH_ENOTFOUND;
  atomic_store(&e->revoked, true);
  return GH_OK;
}

size_t gh_apikey_store_count(const gh_apikey_store *s) { return s ? s->count : 0; }

int gh_apikey_lookup(const gh_apikey_store *s, const char *key, size_t len, int64_t now_ms, const gh_apikey **out,
                     int *reason) {
  int why_storage;
  if (!reason) reason = &why_storage;
  if (out) *out = NULL;
  if (!s || !s->built) return GH_EMISUSE;
  if (!gh__time_ok(now_ms)) return GH_EINVAL;
  if (!key || !len || len > GH_APIKEY_MAX_LEN) {
    *reason = GH_APIKEY_MALFORMED;
    return GH_EDENIED;
  }
  unsigned char digest[32];
  gh__hash_digest(GH__SHA256, key, len, digest);
  gh_apikey *e = find(s, digest);
  *reason = !e                                          ? GH_APIKEY_UNKNOWN
            : atomic_load(&e->revoked)                  ? GH_APIKEY_REVOKED
            : e->expires_ms && now_ms >= e->expires_ms ? GH_APIKEY_EXPIRED
                                                        : GH_APIKEY_OK;
  if (*reason) return GH_EDENIED;
  if (out) *out = e;
  return GH_OK;
}

const char *gh_apikey_consumer(const gh_apikey *k) { return k ? k->consumer : NULL; }
const char *gh_apikey_scopes(const gh_apikey *k) { return k ? k->scopes : NULL; }
int64_t gh_apikey_expires_ms(const gh_apikey *k) { return k ? k->expires_ms : 0; }
