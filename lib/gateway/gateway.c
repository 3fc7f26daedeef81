/* The gateway: the current snapshot, swapped atomically on reload, and the
 * hooks and state that outlive snapshots (Redis client, fetched key sets).
 *
 * Snapshot lifetime uses a split reference count, so that deciding threads
 * take no lock: the gateway's one 64-bit word holds the current snapshot's
 * slot (12 bits) and how many decisions acquired it (52 bits). A decision
 * acquires with one fetch_add on that word; it releases by decrementing the
 * snapshot's own count. A reload exchanges the word and adds the acquisitions
 * it took over to the old snapshot's count; whoever brings that count to zero
 * frees the snapshot. A slot is reused only once its snapshot is freed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../core/hash64.h"
#include "../core/json.h"
#include "../crypto/crypto.h"
#include "decision.h"
#include "gatehouse/error.h"
#include "gatehouse/jwk.h"
#include "gatehouse/jwt.h"
#include "gatehouse/oidc.h"
#include "config_patch.h"
#include "pipeline.h"
#include "snapshot.h"

#define SLOT_BITS 12
#define SLOTS (1u << SLOT_BITS)
#define COUNT_BITS (64 - SLOT_BITS)

typedef struct fetched_set {
  char *url, *text;
  size_t len;
} fetched_set;

struct gh_gateway {
  atomic_uint_fast64_t current; /* slot << COUNT_BITS | acquisitions */
  _Atomic(gh__snapshot *) slots[SLOTS];
  atomic_bool loaded;
  pthread_mutex_t lock; /* reloads, key sets, the Redis client */
  uint64_t last_version;
  gh__hooks hooks;
  fetched_set *sets;
  size_t n_sets;
  gh_redis *redis;
  char *redis_identity; /* "host:port/timeout/connections" it was made for */
  uint64_t id_seed;
  atomic_uint_fast64_t id_counter;
};

size_t gh_gateway_max_config_bytes(void) { return GH_GATEWAY_MAX_CONFIG_BYTES; }
size_t gh_request_size(void) { return sizeof(gh_request); }

const char *gh_stage_name(int stage) {
  static const char *const names[] = {"route", "authenticate", "authorize", "limit", "transform", "upstream"};
  return stage >= 0 && stage < GH_STAGE_COUNT ? names[stage] : "unknown";
}

int gh_gateway_new(gh_gateway **out) {
  if (!out) return GH_EINVAL;
  gh_gateway *gw = gh__calloc(1, sizeof *gw);
  if (!gw) return GH_ENOMEM;
  if (pthread_mutex_init(&gw->lock, NULL)) {
    gh__free(gw);
    return GH_ENOMEM;
  }
  unsigned char seed[8];
  if (gh__random(seed, sizeof seed)) memcpy(seed, &(uint64_t){gh__hash_seed()}, sizeof seed);
  memcpy(&gw->id_seed, seed, sizeof seed);
  *out = gw;
  return GH_OK;
}

static void release_snapshot(gh_gateway *gw, gh__snapshot *s) {
  if (atomic_fetch_sub_explicit(&s->releases, 1, memory_order_acq_rel) != 1) return;
  atomic_store_explicit(&gw->slots[s->slot], NULL, memory_order_release);
  gh__snapshot_free(s);
}

/* Swaps in s (NULL: none) and settles the old snapshot's count. Under gw->lock. */
static void publish(gh_gateway *gw, gh__snapshot *s) {
  uint64_t word = s ? (uint64_t)s->slot << COUNT_BITS : 0;
  uint64_t old = atomic_exchange_explicit(&gw->current, word, memory_order_acq_rel);
  gh__snapshot *prev = atomic_load_explicit(&gw->slots[old >> COUNT_BITS], memory_order_acquire);
  if (!prev || !atomic_load_explicit(&gw->loaded, memory_order_relaxed)) return;
  int_fast64_t taken = (int_fast64_t)(old & ((UINT64_C(1) << COUNT_BITS) - 1));
  if (atomic_fetch_add_explicit(&prev->releases, taken, memory_order_acq_rel) + taken == 0) {
    atomic_store_explicit(&gw->slots[prev->slot], NULL, memory_order_release);
    gh__snapshot_free(prev);
  }
}

gh__snapshot *gh__gateway_acquire(gh_gateway *gw) {
  uint64_t word = atomic_fetch_add_explicit(&gw->current, 1, memory_order_acq_rel);
  return atomic_load_explicit(&gw->slots[word >> COUNT_BITS], memory_order_acquire);
}

void gh__gateway_release(gh_gateway *gw, gh__snapshot *s) { release_snapshot(gw, s); }

void gh_gateway_free(gh_gateway *gw) {
  if (!gw) return;
  pthread_mutex_lock(&gw->lock);
  if (atomic_load(&gw->loaded)) publish(gw, NULL);
  pthread_mutex_unlock(&gw->lock);
  for (size_t i = 0; i < gw->n_sets; i++) gh__free(gw->sets[i].url), gh__free(gw->sets[i].text);
  gh__free(gw->sets);
  gh_redis_free(gw->redis);
  gh__free(gw->redis_identity);
  pthread_mutex_destroy(&gw->lock);
  gh__free(gw);
}

/* ---- hooks ---- */

int gh_gateway_set_hook(gh_gateway *gw, int stage, int when, gh_stage_hook_fn fn, void *ud) {
  if (!gw || stage < 0 || stage >= GH_STAGE_COUNT || when < GH_HOOK_BEFORE || when > GH_HOOK_REPLACE) return GH_EINVAL;
  if (when == GH_HOOK_REPLACE && stage != GH_STAGE_AUTHENTICATE && stage != GH_STAGE_AUTHORIZE) return GH_EINVAL;
  if (atomic_load(&gw->loaded)) return GH_EMISUSE;
  gw->hooks.stage[stage][when] = (gh__hook){fn, ud};
  return GH_OK;
}

int gh_gateway_set_completion(gh_gateway *gw, gh_completion_fn fn, void *ud) {
  if (!gw) return GH_EINVAL;
  if (atomic_load(&gw->loaded)) return GH_EMISUSE;
  gw->hooks.completion = fn;
  gw->hooks.completion_ud = ud;
  return GH_OK;
}

int gh_gateway_set_access_log(gh_gateway *gw, gh_access_log_fn fn, void *ud) {
  if (!gw) return GH_EINVAL;
  if (atomic_load(&gw->loaded)) return GH_EMISUSE;
  if (fn) gh__ns_per_tick(); /* calibrated before any decision is timed */
  gw->hooks.access_log = fn;
  gw->hooks.access_log_ud = ud;
  return GH_OK;
}

int gh_gateway_set_introspection(gh_gateway *gw, gh_gateway_introspect_fn fn, void *ud) {
  if (!gw) return GH_EINVAL;
  if (atomic_load(&gw->loaded)) return GH_EMISUSE;
  gw->hooks.introspect = fn;
  gw->hooks.introspect_ud = ud;
  return GH_OK;
}

int gh__gateway_introspect(gh_gateway *gw, const char *endpoint, const char *token, size_t len, char **json,
                           size_t *json_len) {
  if (!gw || !gw->hooks.introspect) {
    gh__log(GH_LOG_ERROR, "gateway: an introspection provider was called but the host set no introspection hook");
    return GH_EMISUSE;
  }
  return gw->hooks.introspect(gw->hooks.introspect_ud, endpoint, token, len, json, json_len);
}

const gh__hooks *gh__gateway_hooks(const gh_gateway *gw) { return &gw->hooks; }

void gh__gateway_request_id(gh_gateway *gw, uint64_t id[2]) {
  uint64_t n = atomic_fetch_add_explicit(&gw->id_counter, 1, memory_order_relaxed);
  id[0] = gw->id_seed;
  id[1] = gh__hash64(&n, sizeof n, gw->id_seed);
}

/* ---- loading ---- */

char *gh__gateway_fetched_copy(gh_gateway *gw, const char *url, size_t *len) {
  pthread_mutex_lock(&gw->lock);
  char *copy = NULL;
  for (size_t i = 0; i < gw->n_sets && !copy; i++)
    if (strcmp(gw->sets[i].url, url) == 0 && (copy = gh__strndup(gw->sets[i].text, gw->sets[i].len))) *len = gw->sets[i].len;
  pthread_mutex_unlock(&gw->lock);
  return copy;
}

static const char *fetched_text(gh_gateway *gw, const char *url, size_t *len) {
  for (size_t i = 0; i < gw->n_sets; i++)
    if (strcmp(gw->sets[i].url, url) == 0) {
      *len = gw->sets[i].len;
      return gw->sets[i].text;
    }
  return NULL;
}

static int redis_client(gh_gateway *gw, const char *host, int port, int timeout_ms, int connections, gh_redis **out,
                        char *msg, size_t cap) {
  char identity[512];
  snprintf(identity, sizeof identity, "%s:%d/%d/%d", host, port, timeout_ms, connections);
  if (gw->redis) {
    if (strcmp(identity, gw->redis_identity) != 0) {
      gh__set_msg(msg, cap, "the Redis settings cannot change while the gateway runs (restart the host to change them)");
      return GH_EINVAL;
    }
    *out = gw->redis;
    return GH_OK;
  }
  gh_redis *r = NULL;
  int rc = gh_redis_new(&r, host, port, timeout_ms, connections);
  if (!rc) rc = gh_redis_build(r);
  if (!rc && !(gw->redis_identity = gh__strndup(identity, strlen(identity)))) rc = GH_ENOMEM;
  if (rc) {
    gh_redis_free(r);
    gh__set_msg(msg, cap, "cannot make a Redis client: %s", gh_strerror(rc));
    return rc;
  }
  *out = gw->redis = r;
  return GH_OK;
}

static void sha256_hex(const char *p, size_t n, char out[65]) {
  unsigned char digest[32];
  gh__hash_digest(GH__SHA256, p, n, digest);
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; i++) out[2 * i] = hex[digest[i] >> 4], out[2 * i + 1] = hex[digest[i] & 15];
  out[64] = 0;
}

/* Builds and publishes a snapshot of json, or, with a patch, of the current
 * document patched (under the same lock, so that no reload slips between). */
static int install(gh_gateway *gw, const char *json, size_t len, char *errors, size_t errors_cap, bool first,
                   const char *patch, size_t patch_len) {
  if (!gw || (!json && len) || (!patch && patch_len)) return GH_EINVAL;
  pthread_mutex_lock(&gw->lock);
  int rc = GH_OK;
  char *patched = NULL;
  size_t patched_len = 0;
  if (first == atomic_load(&gw->loaded)) {
    rc = GH_EMISUSE;
    gh__set_msg(errors, errors_cap, first ? "$: loaded already (use gh_gateway_reload)" : "$: load a configuration first");
  }
  if (!rc && patch) {
    const gh__snapshot *now = atomic_load(&gw->slots[atomic_load(&gw->current) >> COUNT_BITS]);
    rc = gh__config_patch(now->document, now->document_len, patch, patch_len, &patched, &patched_len, errors,
                          errors_cap);
    json = patched, len = patched_len;
  }
  uint32_t slot = 0;
  if (!rc) {
    uint64_t word = atomic_load(&gw->current);
    uint32_t in_use = (uint32_t)(word >> COUNT_BITS);
    while (slot < SLOTS && (atomic_load(&gw->slots[slot]) || (!first && slot == in_use))) slot++;
    if (slot == SLOTS) {
      rc = GH_EBUSY;
      gh__set_msg(errors, errors_cap, "$: %u snapshots are still held by decisions in flight", SLOTS);
    }
  }
  gh__snapshot *s = NULL;
  if (!rc) {
    gh__snapshot *prev = first ? NULL : atomic_load(&gw->slots[atomic_load(&gw->current) >> COUNT_BITS]);
    gh__build_context ctx = {gw, prev, fetched_text, redis_client};
    rc = gh__snapshot_build(json, len, &ctx, &s, errors, errors_cap);
  }
  if (!rc) {
    s->slot = slot;
    s->version = ++gw->last_version;
    sha256_hex(json, len, s->hash);
    atomic_init(&s->releases, 0);
    atomic_store_explicit(&gw->slots[slot], s, memory_order_release);
    publish(gw, s);
    atomic_store(&gw->loaded, true);
    gh__log(GH_LOG_INFO, "gateway: configuration version %llu loaded (sha256 %.12s...)",
            (unsigned long long)s->version, s->hash);
  }
  pthread_mutex_unlock(&gw->lock);
  if (patched) gh__free_secret(patched, patched_len);
  return rc;
}

int gh_gateway_load(gh_gateway *gw, const char *json, size_t len, char *errors, size_t errors_cap) {
  return install(gw, json, len, errors, errors_cap, true, NULL, 0);
}

int gh_gateway_reload(gh_gateway *gw, const char *json, size_t len, char *errors, size_t errors_cap) {
  return install(gw, json, len, errors, errors_cap, false, NULL, 0);
}

int gh_gateway_patch(gh_gateway *gw, const char *patch, size_t len, char *errors, size_t errors_cap) {
  if (!patch) return GH_EINVAL;
  return install(gw, NULL, 0, errors, errors_cap, false, patch, len);
}

int gh_gateway_document(const gh_gateway *gw, char **out, size_t *len) {
  if (!gw || !out || !len) return GH_EINVAL;
  if (!atomic_load(&gw->loaded)) return GH_EMISUSE;
  gh_gateway *g = (gh_gateway *)gw;
  gh__snapshot *s = gh__gateway_acquire(g);
  *out = gh__strndup(s->document, s->document_len);
  *len = s->document_len;
  release_snapshot(g, s);
  return *out ? GH_OK : GH_ENOMEM;
}

int gh_gateway_config_check(const char *json, size_t len, char *errors, size_t errors_cap) {
  if (!json && len) return GH_EINVAL;
  gh__build_context ctx = {0};
  gh__snapshot *s = NULL;
  int rc = gh__snapshot_build(json, len, &ctx, &s, errors, errors_cap);
  gh__snapshot_free(s);
  return rc;
}

uint64_t gh_gateway_version(const gh_gateway *gw) {
  if (!gw || !atomic_load(&gw->loaded)) return 0;
  gh_gateway *g = (gh_gateway *)gw;
  gh__snapshot *s = gh__gateway_acquire(g);
  uint64_t v = s->version;
  release_snapshot(g, s);
  return v;
}

int gh_gateway_hash(const gh_gateway *gw, char out[65]) {
  if (!gw || !out) return GH_EINVAL;
  if (!atomic_load(&gw->loaded)) return GH_EMISUSE;
  gh_gateway *g = (gh_gateway *)gw;
  gh__snapshot *s = gh__gateway_acquire(g);
  memcpy(out, s->hash, 65);
  release_snapshot(g, s);
  return GH_OK;
}

/* ---- key sets the host fetches ---- */

/* The i-th URL of a list of the current snapshot, under the lock (discovery may grow the lists). */
static const char *listed_url(const gh_gateway *gw, size_t i, bool discovery) {
  if (!gw || !atomic_load(&gw->loaded)) return NULL;
  gh_gateway *g = (gh_gateway *)gw;
  pthread_mutex_lock(&g->lock);
  const gh__snapshot *s = atomic_load(&g->slots[atomic_load(&g->current) >> COUNT_BITS]);
  const char *url = discovery ? (i < s->n_discovery_urls ? s->discovery_urls[i] : NULL)
                              : (i < s->n_jwks_urls ? s->jwks_urls[i] : NULL);
  pthread_mutex_unlock(&g->lock);
  return url; /* lives until the next reload, as documented */
}

const char *gh_gateway_jwks_url(const gh_gateway *gw, size_t i) { return listed_url(gw, i, false); }
const char *gh_gateway_discovery_url(const gh_gateway *gw, size_t i) { return listed_url(gw, i, true); }

/* Keeps a fetched document by URL, for the configurations to come. Under the lock. */
static int remember(gh_gateway *gw, const char *url, const char *json, size_t len) {
  fetched_set *slot = NULL;
  for (size_t i = 0; i < gw->n_sets && !slot; i++)
    if (strcmp(gw->sets[i].url, url) == 0) slot = &gw->sets[i];
  if (!slot) {
    fetched_set *grown = gh__realloc(gw->sets, (gw->n_sets + 1) * sizeof *grown);
    if (!grown) return GH_ENOMEM;
    gw->sets = grown;
    char *u = gh__strndup(url, strlen(url));
    if (!u) return GH_ENOMEM;
    slot = &gw->sets[gw->n_sets++];
    *slot = (fetched_set){.url = u};
  }
  char *text = gh__strndup(json, len);
  if (!text) return GH_ENOMEM;
  gh__free(slot->text);
  slot->text = text;
  slot->len = len;
  return GH_OK;
}

int gh_gateway_set_discovery(gh_gateway *gw, const char *url, const char *json, size_t len, int64_t now_ms, char *msg,
                             size_t msg_cap) {
  if (!gw || !url || (!json && len) || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (!atomic_load(&gw->loaded)) return GH_EMISUSE;
  pthread_mutex_lock(&gw->lock);
  gh__snapshot *s = atomic_load(&gw->slots[atomic_load(&gw->current) >> COUNT_BITS]);
  int rc = GH_ENOTFOUND;
  gh__set_msg(msg, msg_cap, "no provider of the current configuration names %s", url);
  for (size_t r = 0; r < s->n_realms; r++)
    for (size_t v = 0; v < s->realms[r].n_verifiers; v++) {
      gh__gw_realm *realm = &s->realms[r];
      if (!realm->verifier_discovery[v] || strcmp(realm->verifier_discovery[v], url) != 0) continue;
      gh_oidc_metadata *m = NULL;
      int prc = gh_oidc_metadata_parse(&m, json, len, realm->verifier_issuer[v], msg, msg_cap);
      if (prc) { /* a bad document changes nothing: the last good one stays */
        rc = prc;
        continue;
      }
      const char *jwks_uri = gh_oidc_jwks_uri(m);
      char *copy = gh__strndup(jwks_uri, strlen(jwks_uri));
      bool listed = false;
      for (size_t i = 0; i < s->n_jwks_urls && !listed; i++) listed = !strcmp(s->jwks_urls[i], jwks_uri);
      char **grown = listed ? s->jwks_urls : gh__realloc(s->jwks_urls, (s->n_jwks_urls + 1) * sizeof *grown);
      char *listed_copy = listed ? NULL : gh__strndup(jwks_uri, strlen(jwks_uri));
      gh_oidc_metadata_free(m);
      if (!copy || !grown || (!listed && !listed_copy)) {
        gh__free(copy), gh__free(listed_copy);
        if (grown) s->jwks_urls = grown;
        rc = GH_ENOMEM;
        continue;
      }
      s->jwks_urls = grown;
      if (!listed) s->jwks_urls[s->n_jwks_urls++] = listed_copy;
      gh__free(realm->verifier_urls[v]);
      realm->verifier_urls[v] = copy;
      rc = rc == GH_ENOTFOUND ? GH_OK : rc;
    }
  if (rc == GH_OK) rc = remember(gw, url, json, len);
  pthread_mutex_unlock(&gw->lock);
  return rc;
}

int gh_gateway_set_jwks(gh_gateway *gw, const char *url, const char *json, size_t len, int64_t now_ms, char *msg,
                        size_t msg_cap) {
  if (!gw || !url || (!json && len) || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (!atomic_load(&gw->loaded)) return GH_EMISUSE;
  gh_jwks *set = NULL;
  int rc = gh_jwks_parse(&set, json, len, msg, msg_cap);
  if (rc) return rc;
  pthread_mutex_lock(&gw->lock);
  gh__snapshot *s = atomic_load(&gw->slots[atomic_load(&gw->current) >> COUNT_BITS]);
  size_t used = 0;
  for (size_t r = 0; r < s->n_realms; r++)
    for (size_t v = 0; v < s->realms[r].n_verifiers; v++)
      if (s->realms[r].verifier_urls[v] && strcmp(s->realms[r].verifier_urls[v], url) == 0) {
        gh_jwt_verifier_set_jwks(s->realms[r].verifiers[v], set, now_ms);
        used++;
      }
  gh_jwks_free(set);
  if (!used) {
    rc = GH_ENOTFOUND;
    gh__set_msg(msg, msg_cap, "no provider of the current configuration names %s", url);
  }
  if (!rc) rc = remember(gw, url, json, len);
  pthread_mutex_unlock(&gw->lock);
  return rc;
}

int gh_gateway_jwks_due(gh_gateway *gw, const char *url, int64_t now_ms) {
  if (!gw || !url || !gh__time_ok(now_ms) || !atomic_load(&gw->loaded)) return 0;
  gh__snapshot *s = gh__gateway_acquire(gw);
  int due = 0;
  for (size_t r = 0; r < s->n_realms && !due; r++)
    for (size_t v = 0; v < s->realms[r].n_verifiers && !due; v++)
      if (s->realms[r].verifier_urls[v] && strcmp(s->realms[r].verifier_urls[v], url) == 0)
        due = gh_jwt_verifier_refresh_due(s->realms[r].verifiers[v], now_ms);
  release_snapshot(gw, s);
  return due;
}

int gh_gateway_decide_may_wait(gh_gateway *gw) {
  if (!gw || !atomic_load(&gw->loaded)) return 0;
  gh__snapshot *s = gh__gateway_acquire(gw); /* read once per request by a host: worked out at build */
  int waits = s->may_wait;
  release_snapshot(gw, s);
  return waits;
}

int gh_gateway_sync(gh_gateway *gw, int64_t now_ms) {
  if (!gw || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (!atomic_load(&gw->loaded)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  int first = GH_OK;
  for (size_t i = 0; i < s->n_limits; i++) {
    if (!s->limits[i].synced || !s->limits[i].limiter) continue;
    int rc = gh_limiter_sync(s->limits[i].limiter->object, now_ms);
    if (rc && !first) first = rc;
  }
  release_snapshot(gw, s);
  return first;
}

bool gh__gateway_loaded(const gh_gateway *gw) { return atomic_load_explicit(&gw->loaded, memory_order_acquire); }
