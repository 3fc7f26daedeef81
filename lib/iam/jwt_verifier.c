/* The JWT verifier: configuration, the swappable key set, the refresh
 * schedule, and the verification pipeline (size → JWS → claims → principal). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "../core/core.h"
#include "../core/json.h"
#include "claims.h"
#include "gatehouse/jwt.h"
#include "jws.h"
#include "principal.h"
#include "../core/expiring_map.h"

struct gh_jwt_verifier {
  bool built;
  unsigned alg_mask;
  bool alg_custom;
  gh__claim_rules rules;
  char *typ;
  size_t max_len;
  size_t cache_entries;
  int64_t cache_ttl_ms;
  gh__expiring_map *cache; /* verified tokens: token -> principal, tagged with the key set generation */
  int64_t refresh_ttl_ms, refresh_cooldown_ms;

  /* Key set: readers take a reference under a read lock; set_jwks swaps under the write lock. */
  pthread_rwlock_t keys_lock;
  gh_jwks *keys;
  atomic_uint_fast64_t generation;
  atomic_int_fast64_t fetched_ms;
  atomic_bool kid_miss;
};

int gh_jwt_default_leeway_s(void) { return GH_JWT_DEFAULT_LEEWAY_S; }
size_t gh_jwt_default_max_token_len(void) { return GH_JWT_DEFAULT_MAX_TOKEN_LEN; }

const char *gh_jwt_reason_name(int reason) {
  switch (reason) { GH_JWT_REASON_MAP(GH__CASE_NAME) }
  return "UNKNOWN";
}

const char *gh_jwt_reason_message(int reason) {
  switch (reason) { GH_JWT_REASON_MAP(GH__CASE_MESSAGE) }
  return "unknown reason";
}

int gh_jwt_verifier_new(gh_jwt_verifier **out) {
  if (!out) return GH_EINVAL;
  gh_jwt_verifier *v = gh__calloc(1, sizeof *v);
  if (!v) return GH_ENOMEM;
  v->alg_mask = GH__ALG_ALL;
  v->rules.leeway_ms = GH_JWT_DEFAULT_LEEWAY_S * 1000;
  v->rules.required = GH_CLAIM_EXP;
  v->max_len = GH_JWT_DEFAULT_MAX_TOKEN_LEN;
  if (pthread_rwlock_init(&v->keys_lock, NULL)) {
    gh__free(v);
    return GH_ENOMEM;
  }
  atomic_init(&v->generation, 1);
  atomic_init(&v->fetched_ms, 0);
  atomic_init(&v->kid_miss, false);
  *out = v;
  return GH_OK;
}

void gh_jwt_verifier_free(gh_jwt_verifier *v) {
  if (!v) return;
  gh__strs_free(&v->rules.issuers);
  gh__strs_free(&v->rules.audiences);
  gh__free(v->typ);
  gh__expiring_map_free(v->cache);
  gh_jwks_free(v->keys);
  pthread_rwlock_destroy(&v->keys_lock);
  gh__free(v);
}

int gh_jwt_verifier_allow_alg(gh_jwt_verifier *v, const char *alg) {
  GH__CONFIGURING(v);
  return gh__alg_allow(&v->alg_mask, &v->alg_custom, alg, GH__ALG_ALL);
}

int gh_jwt_verifier_add_issuer(gh_jwt_verifier *v, const char *iss, size_t len) {
  GH__CONFIGURING(v);
  if (!iss || !len) return GH_EINVAL;
  return gh__strs_add(&v->rules.issuers, iss, len);
}

int gh_jwt_verifier_add_audience(gh_jwt_verifier *v, const char *aud, size_t len) {
  GH__CONFIGURING(v);
  if (!aud || !len) return GH_EINVAL;
  return gh__strs_add(&v->rules.audiences, aud, len);
}

int gh_jwt_verifier_set_leeway(gh_jwt_verifier *v, int seconds) {
  GH__CONFIGURING(v);
  if (seconds < 0 || seconds > 86400) return GH_EINVAL;
  v->rules.leeway_ms = (int64_t)seconds * 1000;
  return GH_OK;
}

int gh_jwt_verifier_set_required_claims(gh_jwt_verifier *v, unsigned mask) {
  GH__CONFIGURING(v);
  if (mask & ~0x7Fu) return GH_EINVAL;
  v->rules.required = mask;
  return GH_OK;
}

int gh_jwt_verifier_set_typ(gh_jwt_verifier *v, const char *typ) {
  GH__CONFIGURING(v);
  if (!typ || !*typ) return GH_EINVAL;
  if (!strncasecmp(typ, "application/", 12)) typ += 12;
  char *copy = gh__strndup(typ, strlen(typ));
  if (!copy) return GH_ENOMEM;
  gh__free(v->typ);
  v->typ = copy;
  return GH_OK;
}

int gh_jwt_verifier_set_max_lifetime(gh_jwt_verifier *v, int64_t seconds) {
  GH__CONFIGURING(v);
  if (seconds < 0 || seconds > GH_TIME_MAX_MS / 1000) return GH_EINVAL; /* seconds * 1000 stays in range */
  v->rules.max_lifetime_s = seconds;
  return GH_OK;
}

int gh_jwt_verifier_set_max_token_len(gh_jwt_verifier *v, size_t bytes) {
  GH__CONFIGURING(v);
  if (bytes < 64 || bytes > 1024 * 1024) return GH_EINVAL;
  v->max_len = bytes;
  return GH_OK;
}

int gh_jwt_verifier_set_cache(gh_jwt_verifier *v, size_t max_entries, int64_t ttl_ms) {
  GH__CONFIGURING(v);
  if (!max_entries || max_entries > (1u << 24) || ttl_ms <= 0) return GH_EINVAL;
  v->cache_entries = max_entries;
  v->cache_ttl_ms = ttl_ms;
  return GH_OK;
}

int gh_jwt_verifier_set_refresh(gh_jwt_verifier *v, int64_t ttl_ms, int64_t cooldown_ms) {
  GH__CONFIGURING(v);
  if (ttl_ms <= 0 || cooldown_ms < 0 || ttl_ms > GH_TIME_MAX_MS || cooldown_ms > GH_TIME_MAX_MS) return GH_EINVAL;
  v->refresh_ttl_ms = ttl_ms;
  v->refresh_cooldown_ms = cooldown_ms;
  return GH_OK;
}

/* The cache holds principals by reference. */
static void *principal_ref(void *p) { return gh__principal_ref(p); }
static void principal_release(void *p) { gh_principal_free(p); }

int gh_jwt_verifier_build(gh_jwt_verifier *v) {
  GH__CONFIGURING(v);
  if (v->cache_entries) {
    int rc = gh__expiring_map_new(&v->cache, v->cache_entries, principal_ref, principal_release);
    if (rc) return rc;
  }
  v->built = true;
  return GH_OK;
}

int gh_jwt_verifier_set_jwks(gh_jwt_verifier *v, gh_jwks *set, int64_t now_ms) {
  if (!v || !set || !gh__time_ok(now_ms)) return GH_EINVAL;
  gh__jwks_ref(set);
  pthread_rwlock_wrlock(&v->keys_lock);
  gh_jwks *old = v->keys;
  v->keys = set;
  /* Cached entries carry the generation they were verified under. */
  atomic_fetch_add(&v->generation, 1);
  pthread_rwlock_unlock(&v->keys_lock);
  atomic_store(&v->fetched_ms, now_ms);
  atomic_store(&v->kid_miss, false);
  gh__log(GH_LOG_INFO, "jwt verifier: key set swapped in (%zu keys, %zu skipped)", gh_jwks_count(set), gh_jwks_skipped(set));
  gh_jwks_free(old);
  return GH_OK;
}

int gh_jwt_verifier_refresh_due(const gh_jwt_verifier *v, int64_t now_ms) {
  if (!v || !gh__time_ok(now_ms)) return 0;
  gh_jwt_verifier *m = (gh_jwt_verifier *)v; /* atomics only */
  int64_t fetched = atomic_load(&m->fetched_ms);
  if (v->refresh_ttl_ms && now_ms >= fetched + v->refresh_ttl_ms) return 1;
  return atomic_load(&m->kid_miss) && now_ms >= fetched + v->refresh_cooldown_ms;
}

static bool typ_matches(const char *want, const char *typ) {
  if (!typ) return false;
  if (!strncasecmp(typ, "application/", 12)) typ += 12;
  return strcasecmp(want, typ) == 0;
}

int gh_jwt_verify(const gh_jwt_verifier *v, const char *token, size_t len, int64_t now_ms, gh_principal **out,
                  int *reason, char *msg, size_t msg_cap) {
  int why_storage;
  if (!reason) reason = &why_storage;
  *reason = GH_JWT_OK;
  if (out) *out = NULL;
  if (!v || !v->built) return GH_EMISUSE;
  if ((!token && len) || !gh__time_ok(now_ms)) return GH_EINVAL;
  if (len > v->max_len) return gh__deny(reason, GH_JWT_TOO_LARGE, msg, msg_cap, NULL);
  gh_jwt_verifier *m = (gh_jwt_verifier *)v; /* lock and atomics only */

  pthread_rwlock_rdlock(&m->keys_lock);
  gh_jwks *keys = v->keys ? gh__jwks_ref(v->keys) : NULL;
  uint64_t gen = atomic_load(&m->generation);
  pthread_rwlock_unlock(&m->keys_lock);

  if (v->cache) {
    gh_principal *hit = gh__expiring_map_get(v->cache, token, len, gen, now_ms);
    /* exp was checked when cached; the entry's expiry already includes it. */
    if (hit) {
      gh_jwks_free(keys);
      if (out) *out = hit;
      else gh_principal_free(hit);
      return GH_OK;
    }
  }

  gh__jws jws;
  int rc = gh__jws_verify(keys, v->alg_mask, token, len, &jws, reason, msg, msg_cap);
  if (rc) {
    if (*reason == GH_JWT_UNKNOWN_KID) atomic_store(&m->kid_miss, true);
    goto done;
  }
  if (v->typ && !typ_matches(v->typ, jws.typ)) {
    rc = gh__deny(reason, GH_JWT_BAD_TYP, msg, msg_cap, jws.typ ? jws.typ : "absent");
    goto done;
  }
  /* The payload is validated in full (grammar, duplicates at every depth),
   * but only its registered claims are read now: no tree is built. */
  char jmsg[96];
  gh__registered reg = {0};
  bool object = false;
  rc = gh__json_scan((const char *)jws.payload, jws.payload_len, v->max_len, GH_JSON_DEFAULT_MAX_DEPTH,
                     gh__registered_collect, &reg, &object, jmsg, sizeof jmsg);
  if (rc == GH_ENOMEM) goto done;
  if (rc || !object) {
    rc = gh__deny(reason, GH_JWT_BAD_PAYLOAD, msg, msg_cap, rc ? jmsg : NULL);
    goto done;
  }
  rc = gh__claims_check(&v->rules, &reg, now_ms, reason, msg, msg_cap);
  if (rc) goto done;
  gh_principal *p;
  rc = gh__principal_new(&p, &jws, &reg);
  if (rc) goto done;
  if (v->cache) {
    int64_t until = now_ms + v->cache_ttl_ms, exp_ms = gh_principal_expires_at(p) * 1000 + v->rules.leeway_ms;
    if (gh_principal_expires_at(p) && exp_ms < until) until = exp_ms;
    (void)gh__expiring_map_put(v->cache, token, len, gen, until, p, now_ms); /* a failure only skips caching */
  }
  if (out) *out = p;
  else gh_principal_free(p);
done:
  gh__jws_clear(&jws);
  gh_jwks_free(keys);
  return rc;
}
