/* Realms: an immutable, reference-counted snapshot of identity providers that
 * add/remove replace whole; authentication with token binding, revocation and
 * RFC 6750 challenges. */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "../core/core.h"
#include "binding.h"
#include "realm_internal.h"

#define REVOCATION_CAPACITY 65536

typedef struct snapshot {
  atomic_size_t refs;
  gh_idp **idps;
  size_t n;
} snapshot;

struct gh_realm {
  char *name;
  pthread_rwlock_t lock; /* guards the snapshot pointer */
  snapshot *current;
  gh_dpop_verifier *dpop;
  gh__expiring_map *revoked; /* jti -> until the token expires */
};

#define GH__CASE_STATUS(name, value, status, msg) \
  case value:                                     \
    return status;
#define GH__CASE_MESSAGE4(name, value, status, msg) \
  case value:                                       \
    return msg;

const char *gh_auth_reason_name(int reason) {
  switch (reason) { GH_AUTH_REASON_MAP(GH__CASE_NAME) }
  return "UNKNOWN";
}

int gh_auth_reason_status(int reason) {
  switch (reason) { GH_AUTH_REASON_MAP(GH__CASE_STATUS) }
  return 401;
}

const char *gh_auth_reason_message(int reason) {
  switch (reason) { GH_AUTH_REASON_MAP(GH__CASE_MESSAGE4) }
  return "authentication failed";
}

static void snapshot_release(snapshot *s) {
  if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
  for (size_t i = 0; i < s->n; i++) gh_idp_free(s->idps[i]);
  gh__free(s->idps);
  gh__free(s);
}

static snapshot *snapshot_take(gh_realm *r) {
  pthread_rwlock_rdlock(&r->lock);
  snapshot *s = r->current;
  atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
  pthread_rwlock_unlock(&r->lock);
  return s;
}

/* A new snapshot: the current IdPs without `drop`, plus `add`. */
static int snapshot_with(const snapshot *from, const char *drop, gh_idp *add, snapshot **out) {
  snapshot *s = gh__calloc(1, sizeof *s);
  if (!s || !(s->idps = gh__calloc(from->n + 1, sizeof *s->idps))) {
    gh__free(s);
    return GH_ENOMEM;
  }
  atomic_init(&s->refs, 1);
  for (size_t i = 0; i < from->n; i++)
    if (!drop || strcmp(from->idps[i]->name, drop) != 0) s->idps[s->n++] = gh__idp_ref(from->idps[i]);
  if (add) s->idps[s->n++] = gh__idp_ref(add);
  *out = s;
  return GH_OK;
}

int gh_realm_new(gh_realm **out, const char *name) {
  if (!out || !name || !*name) return GH_EINVAL;
  gh_realm *r = gh__calloc(1, sizeof *r);
  if (!r) return GH_ENOMEM;
  snapshot empty = {0};
  atomic_init(&empty.refs, 1);
  if (!(r->name = gh__strndup(name, strlen(name))) || snapshot_with(&empty, NULL, NULL, &r->current) ||
      gh__expiring_map_new(&r->revoked, REVOCATION_CAPACITY, NULL, NULL)) {
    gh__free(r->name);
    snapshot_release(r->current);
    gh__free(r);
    return GH_ENOMEM;
  }
  gh__expiring_map_keep_live(r->revoked);
  if (pthread_rwlock_init(&r->lock, NULL)) {
    gh__expiring_map_free(r->revoked);
    gh__free(r->name);
    snapshot_release(r->current);
    gh__free(r);
    return GH_ENOMEM;
  }
  *out = r;
  return GH_OK;
}

void gh_realm_free(gh_realm *r) {
  if (!r) return;
  snapshot_release(r->current);
  gh_dpop_verifier_free(r->dpop);
  gh__expiring_map_free(r->revoked);
  pthread_rwlock_destroy(&r->lock);
  gh__free(r->name);
  gh__free(r);
}

const char *gh_realm_name(const gh_realm *r) { return r ? r->name : NULL; }

size_t gh_realm_idp_count(const gh_realm *r) {
  if (!r) return 0;
  snapshot *s = snapshot_take((gh_realm *)r);
  size_t n = s->n;
  snapshot_release(s);
  return n;
}

/* Replaces the snapshot under the write lock: readers keep the one they took. */
static int change(gh_realm *r, const char *drop, gh_idp *add) {
  pthread_rwlock_wrlock(&r->lock);
  snapshot *old = r->current, *fresh;
  int rc = GH_OK;
  bool found = false;
  for (size_t i = 0; i < old->n; i++)
    if (!strcmp(old->idps[i]->name, drop ? drop : add->name)) found = true;
  if (add && found) rc = GH_EEXIST;
  else if (drop && !found) rc = GH_ENOTFOUND;
  else if (!(rc = snapshot_with(old, drop, add, &fresh))) r->current = fresh;
  pthread_rwlock_unlock(&r->lock);
  if (!rc) {
    snapshot_release(old);
    gh__log(GH_LOG_INFO, "realm %s: identity provider %s %s", r->name, drop ? drop : add->name, drop ? "removed" : "added");
  }
  return rc;
}

int gh_realm_add_idp(gh_realm *r, gh_idp *idp) { return r && idp ? change(r, NULL, idp) : GH_EINVAL; }
int gh_realm_remove_idp(gh_realm *r, const char *name, size_t name_len) {
  if (!r || !name || !name_len || name_len > 255) return GH_EINVAL;
  char copy[256]; /* IdP names are short identifiers */
  memcpy(copy, name, name_len), copy[name_len] = '\0';
  return strlen(copy) == name_len ? change(r, copy, NULL) : GH_ENOTFOUND;
}

int gh_realm_set_dpop(gh_realm *r, gh_dpop_verifier *v) {
  if (!r || !v) return GH_EINVAL;
  if (r->dpop) return GH_EMISUSE;
  r->dpop = gh__dpop_verifier_ref(v);
  return GH_OK;
}

int gh_realm_revoke(gh_realm *r, const char *jti, size_t len, int64_t expires_ms, int64_t now_ms) {
  if (!r || !jti || !len || !gh__time_ok(expires_ms) || !gh__time_ok(now_ms)) return GH_EINVAL;
  int rc = gh__expiring_map_add(r->revoked, jti, len, expires_ms, now_ms);
  return rc < 0 ? rc : GH_OK;
}

/* The credential: "Bearer <token>" or "DPoP <token>" (RFC 6750 2.1, RFC 9449 7.1), else an API key. */
static bool split_authorization(const gh_auth_request *q, const char **scheme, const char **token, size_t *len) {
  if (!q->authorization) return false;
  const char *v = q->authorization, *sp = memchr(v, ' ', q->authorization_len);
  if (!sp) return false;
  size_t scheme_len = (size_t)(sp - v);
  *scheme = scheme_len == 6 && !strncasecmp(v, "Bearer", 6) ? "Bearer" : scheme_len == 4 && !strncasecmp(v, "DPoP", 4) ? "DPoP" : NULL;
  while (*sp == ' ') sp++;
  *token = sp;
  *len = q->authorization_len - (size_t)(sp - v);
  return *scheme && *len;
}

static int deny(const gh_realm *r, const char *scheme, int why, const char *detail, int *reason, char *challenge,
                size_t cap) {
  *reason = why;
  const char *error = why == GH_AUTH_NO_CREDENTIALS   ? NULL
                      : why == GH_AUTH_INVALID_DPOP_PROOF ? "invalid_dpop_proof"
                      : why == GH_AUTH_IDP_ERROR          ? NULL
                                                          : "invalid_token";
  gh__challenge(challenge, cap, scheme, r->name, error, detail && *detail ? detail : gh_auth_reason_message(why), NULL, NULL);
  return GH_EDENIED;
}

/* Token binding (RFC 9449 section 7, RFC 8705 section 3) for an accepted token:
 * the DPoP scheme needs a valid proof of the cnf.jkt key; a DPoP-bound token
 * under Bearer is refused; cnf.x5t#S256 needs the client certificate. */
static int check_binding(gh_realm *r, const gh_auth_request *q, const char *scheme, const char *token, size_t len,
                         const gh_identity *id, int64_t now_ms, int *reason, char *challenge, size_t cap) {
  char jkt[GH_DPOP_JKT_LEN + 1], msg[160];
  const char *proven = NULL;
  if (!strcmp(scheme, "DPoP")) {
    if (!r->dpop || !q->dpop)
      return deny(r, scheme, GH_AUTH_INVALID_DPOP_PROOF, "a DPoP proof is required", reason, challenge, cap);
    if (!id->cnf_jkt) return deny(r, scheme, GH_AUTH_BINDING, "the token is not bound to a key", reason, challenge, cap);
    int why;
    int rc = gh_dpop_verify(r->dpop, q->dpop, q->dpop_len, q->method, q->method_len, q->uri, q->uri_len, token, len,
                            NULL, 0, now_ms, jkt, &why, msg, sizeof msg);
    if (rc == GH_EDENIED) return deny(r, scheme, GH_AUTH_INVALID_DPOP_PROOF, msg, reason, challenge, cap);
    if (rc) return rc;
    proven = jkt;
  }
  int why;
  if (gh__binding_check(id->cnf_jkt, id->cnf_x5t, proven, q->has_cert ? q->cert_sha256 : NULL, &why))
    return deny(r, scheme, GH_AUTH_BINDING, gh_dpop_reason_name(why), reason, challenge, cap);
  return GH_OK;
}

int gh_realm_authenticate(gh_realm *r, const gh_auth_request *q, int64_t now_ms, gh_identity **out, int *reason,
                          char *challenge, size_t cap) {
  int why_storage;
  if (!reason) reason = &why_storage;
  *reason = GH_AUTH_OK;
  if (out) *out = NULL;
  if (!r || !q || !out || !gh__time_ok(now_ms)) return GH_EINVAL;
  const char *scheme = "Bearer", *cred = NULL;
  size_t len = 0;
  bool is_api_key = false;
  if (!split_authorization(q, &scheme, &cred, &len)) {
    scheme = "Bearer";
    if (!q->api_key) return deny(r, scheme, GH_AUTH_NO_CREDENTIALS, NULL, reason, challenge, cap);
    cred = q->api_key, len = q->api_key_len, is_api_key = true;
  }
  snapshot *s = snapshot_take(r);
  gh_identity *id = NULL;
  int rc = GH_OK, why = is_api_key ? GH_AUTH_INVALID_API_KEY : GH_AUTH_UNKNOWN_ISSUER;
  char detail[200] = "";
  for (size_t i = 0; i < s->n && !id && !rc; i++) {
    gh__idp_outcome outcome;
    rc = gh__idp_try(s->idps[i], r->name, is_api_key, cred, len, now_ms, &id, &outcome, &why, detail, sizeof detail);
    if (!rc && outcome == GH__IDP_REJECTED) break;
  }
  snapshot_release(s);
  if (rc) return rc;
  if (!id) return deny(r, scheme, why, detail, reason, challenge, cap);
  /* revocation: a jti on the deny list */
  if (id->jti && gh__expiring_map_contains(r->revoked, id->jti, strlen(id->jti), now_ms))
    rc = deny(r, scheme, GH_AUTH_REVOKED, NULL, reason, challenge, cap);
  else if (!is_api_key)
    rc = check_binding(r, q, scheme, cred, len, id, now_ms, reason, challenge, cap);
  if (rc) {
    gh_identity_free(id);
    return rc;
  }
  *out = id;
  return GH_OK;
}
