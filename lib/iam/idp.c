/* Identity providers: JWT, API key, token introspection (RFC 7662) and custom
 * hooks. Each says of a credential: accepted, not mine, or rejected. */
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"
#include "principal.h"
#include "realm_internal.h"

/* A value no idp mapping had before: identities memoized on a token stay valid only for it. */
static uint64_t new_mapping(void) {
  static atomic_uint_fast64_t next = 1;
  return atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
}

static int idp_new(gh_idp **out, const char *name, gh__idp_kind kind) {
  if (!out || !name || !*name) return GH_EINVAL;
  gh_idp *idp = gh__calloc(1, sizeof *idp);
  if (!idp || !(idp->name = gh__strndup(name, strlen(name)))) {
    gh__free(idp);
    return GH_ENOMEM;
  }
  atomic_init(&idp->refs, 1);
  idp->kind = kind;
  atomic_init(&idp->mapping, new_mapping());
  /* default scope claims: "scope" (space-separated, RFC 8693 4.2) and "scp" (array) */
  if (kind != GH__IDP_APIKEY && (gh__strs_add(&idp->scopes, "scope", 5) || gh__strs_add(&idp->scopes, "scp", 3))) {
    gh_idp_free(idp);
    return GH_ENOMEM;
  }
  *out = idp;
  return GH_OK;
}

int gh_idp_new_jwt(gh_idp **out, const char *name, gh_jwt_verifier *verifier) {
  if (!verifier) return GH_EINVAL;
  int rc = idp_new(out, name, GH__IDP_JWT);
  if (!rc) (*out)->verifier = verifier;
  return rc;
}

int gh_idp_new_apikey(gh_idp **out, const char *name, gh_apikey_store *store) {
  if (!store) return GH_EINVAL;
  int rc = idp_new(out, name, GH__IDP_APIKEY);
  if (!rc) (*out)->store = store;
  return rc;
}

static void *identity_ref(void *v) { return gh__identity_ref(v); }
static void identity_release(void *v) { gh_identity_free(v); }

int gh_idp_new_introspection(gh_idp **out, const char *name, gh_introspect_fn fn, void *ud, int64_t cache_ttl_ms) {
  if (!fn || cache_ttl_ms < 0) return GH_EINVAL;
  int rc = idp_new(out, name, GH__IDP_INTROSPECTION);
  if (rc) return rc;
  (*out)->introspect = fn;
  (*out)->ud = ud;
  (*out)->cache_ttl_ms = cache_ttl_ms;
  if (cache_ttl_ms && (rc = gh__expiring_map_new(&(*out)->cache, 65536, identity_ref, identity_release))) {
    gh_idp_free(*out);
    *out = NULL;
  }
  return rc;
}

int gh_idp_new_custom(gh_idp **out, const char *name, gh_custom_auth_fn fn, void *ud) {
  if (!fn) return GH_EINVAL;
  int rc = idp_new(out, name, GH__IDP_CUSTOM);
  if (!rc) (*out)->custom = fn, (*out)->ud = ud;
  return rc;
}

static int map(gh__strs *paths, gh_idp *idp, const char *path) {
  if (!idp || !path || !*path) return GH_EINVAL;
  int rc = gh__strs_add(paths, path, strlen(path));
  if (!rc) atomic_store_explicit(&idp->mapping, new_mapping(), memory_order_relaxed); /* memoized identities lapse */
  return rc;
}

int gh_idp_map_roles(gh_idp *idp, const char *path) { return idp ? map(&idp->roles, idp, path) : GH_EINVAL; }
int gh_idp_map_groups(gh_idp *idp, const char *path) { return idp ? map(&idp->groups, idp, path) : GH_EINVAL; }
int gh_idp_map_scopes(gh_idp *idp, const char *path) {
  if (!idp) return GH_EINVAL;
  static const char *const defaults[] = {"scope", "scp"};
  /* the first explicit mapping replaces the defaults */
  if (idp->scopes.n == 2 && !strcmp(idp->scopes.v[0], defaults[0]) && !strcmp(idp->scopes.v[1], defaults[1]))
    gh__strs_free(&idp->scopes);
  return map(&idp->scopes, idp, path);
}

gh_idp *gh__idp_ref(gh_idp *idp) {
  atomic_fetch_add_explicit(&idp->refs, 1, memory_order_relaxed);
  return idp;
}

void gh_idp_free(gh_idp *idp) {
  if (!idp || atomic_fetch_sub_explicit(&idp->refs, 1, memory_order_acq_rel) != 1) return;
  gh__expiring_map_free(idp->cache);
  gh__strs_free(&idp->roles);
  gh__strs_free(&idp->scopes);
  gh__strs_free(&idp->groups);
  gh__free(idp->name);
  gh__free(idp);
}

static gh__idp_outcome reject(int *reason, int why, char *detail, size_t cap, const char *text) {
  *reason = why;
  gh__set_msg(detail, cap, "%s", text);
  return GH__IDP_REJECTED;
}

/* A JWT rejection that means "issued elsewhere" lets the next IdP try. */
static bool not_mine(int jwt_reason) {
  switch (jwt_reason) {
  case GH_JWT_MALFORMED: case GH_JWT_UNKNOWN_KID: case GH_JWT_NO_MATCHING_KEY: case GH_JWT_NO_KEYS:
  case GH_JWT_BAD_ISSUER: case GH_JWT_ALG_NOT_ALLOWED: case GH_JWT_ALG_UNSUPPORTED: case GH_JWT_BAD_AUDIENCE:
    return true;
  default:
    return false;
  }
}

static int try_jwt(gh_idp *idp, const char *realm, const char *cred, size_t len, int64_t now_ms, gh_identity **out,
                   gh__idp_outcome *outcome, int *reason, char *detail, size_t cap) {
  gh_principal *p = NULL;
  int why;
  char msg[160];
  int rc = gh_jwt_verify(idp->verifier, cred, len, now_ms, &p, &why, msg, sizeof msg);
  if (rc == GH_EDENIED) {
    *outcome = not_mine(why) ? GH__IDP_NOT_MINE : reject(reason, GH_AUTH_INVALID_TOKEN, detail, cap, msg);
    return GH_OK;
  }
  if (rc) return rc;
  /* a token seen again (the verifier's cache) maps to the same identity: built once, kept on the principal */
  uint64_t mapping = atomic_load_explicit(&idp->mapping, memory_order_relaxed);
  gh_identity *memo = gh__principal_identity(p, mapping, realm);
  if (memo) {
    gh_principal_free(p);
    *out = memo;
    *outcome = GH__IDP_ACCEPTED;
    return GH_OK;
  }
  const cJSON *tree = gh__principal_tree(p);
  size_t text_len;
  const char *text = gh_principal_payload(p, &text_len);
  rc = tree ? gh__identity_from_claims(tree, text, text_len, idp, &idp->scopes, realm, out) : GH_ENOMEM;
  if (!rc) {
    (*out)->mapping = mapping;
    gh__principal_keep_identity(p, *out);
  }
  gh_principal_free(p);
  if (!rc) *outcome = GH__IDP_ACCEPTED;
  return rc;
}

static int try_apikey(gh_idp *idp, const char *realm, const char *cred, size_t len, int64_t now_ms, gh_identity **out,
                      gh__idp_outcome *outcome, int *reason, char *detail, size_t cap) {
  const gh_apikey *key;
  int why;
  int rc = gh_apikey_lookup(idp->store, cred, len, now_ms, &key, &why);
  if (rc == GH_EDENIED) {
    *outcome = why == GH_APIKEY_UNKNOWN || why == GH_APIKEY_MALFORMED
                   ? GH__IDP_NOT_MINE
                   : reject(reason, GH_AUTH_INVALID_API_KEY, detail, cap, gh_apikey_reason_name(why));
    return GH_OK;
  }
  if (rc) return rc;
  /* the key's facts as a claims document, so that one mapping path serves all IdPs */
  cJSON *claims = cJSON_CreateObject();
  char *text = NULL;
  if (claims && cJSON_AddStringToObject(claims, "sub", gh_apikey_consumer(key)) &&
      cJSON_AddStringToObject(claims, "scope", gh_apikey_scopes(key)) && (!gh_apikey_expires_ms(key) ||
      cJSON_AddNumberToObject(claims, "exp", (double)(gh_apikey_expires_ms(key) / 1000))))
    text = cJSON_PrintUnformatted(claims);
  /* an API key's scopes are its own, not a claim mapping */
  char *scope_path = "scope";
  size_t scope_len = 5;
  const gh__strs key_scopes = {&scope_path, &scope_len, 1};
  rc = text ? gh__identity_from_claims(claims, text, strlen(text), idp, &key_scopes, realm, out) : GH_ENOMEM;
  cJSON_free(text);
  cJSON_Delete(claims);
  if (!rc) *outcome = GH__IDP_ACCEPTED;
  return rc;
}

/* A hook's JSON claims document into an identity; introspection also needs "active": true. */
static int from_hook_json(gh_idp *idp, const char *realm, char *json, size_t json_len, bool introspection,
                          int64_t now_ms, gh_identity **out, gh__idp_outcome *outcome, int *reason, char *detail,
                          size_t cap) {
  cJSON *claims = NULL;
  int rc = gh__json_parse(json, json_len, 1024 * 1024, GH_JSON_DEFAULT_MAX_DEPTH, &claims, NULL, 0);
  if (rc == GH_ENOMEM) goto done;
  rc = GH_OK;
  if (!cJSON_IsObject(claims)) {
    *outcome = reject(reason, GH_AUTH_IDP_ERROR, detail, cap, "the hook's answer is not a JSON object");
    goto done;
  }
  const cJSON *exp = gh__json_member(claims, "exp");
  if (introspection && (!cJSON_IsTrue(gh__json_member(claims, "active")) ||
                        (cJSON_IsNumber(exp) && exp->valuedouble * 1000.0 <= (double)now_ms))) {
    *outcome = reject(reason, GH_AUTH_INACTIVE, detail, cap, "introspection: not active");
    goto done;
  }
  rc = gh__identity_from_claims(claims, json, json_len, idp, &idp->scopes, realm, out);
  if (!rc) *outcome = GH__IDP_ACCEPTED;
done:
  cJSON_Delete(claims);
  free(json); /* hooks allocate with malloc */
  return rc;
}

static int try_introspection(gh_idp *idp, const char *realm, const char *cred, size_t len, int64_t now_ms,
                             gh_identity **out, gh__idp_outcome *outcome, int *reason, char *detail, size_t cap) {
  if (idp->cache && (*out = gh__expiring_map_get(idp->cache, cred, len, 0, now_ms))) {
    *outcome = GH__IDP_ACCEPTED;
    return GH_OK;
  }
  char *json = NULL;
  size_t json_len = 0;
  if (idp->introspect(idp->ud, cred, len, &json, &json_len) < 0 || !json) {
    free(json);
    *outcome = reject(reason, GH_AUTH_IDP_ERROR, detail, cap, "introspection hook failed");
    return GH_OK;
  }
  int rc = from_hook_json(idp, realm, json, json_len, true, now_ms, out, outcome, reason, detail, cap);
  if (!rc && *outcome == GH__IDP_ACCEPTED && idp->cache) {
    /* cached no longer than the token lives */
    int64_t until = now_ms + idp->cache_ttl_ms;
    if ((*out)->expires_ms && (*out)->expires_ms < until) until = (*out)->expires_ms;
    (void)gh__expiring_map_put(idp->cache, cred, len, 0, until, *out, now_ms);
  }
  return rc;
}

static int try_custom(gh_idp *idp, const char *realm, const char *cred, size_t len, int64_t now_ms, gh_identity **out,
                      gh__idp_outcome *outcome, int *reason, char *detail, size_t cap) {
  char *json = NULL;
  size_t json_len = 0;
  int r = idp->custom(idp->ud, cred, len, &json, &json_len);
  if (r == 0) {
    free(json);
    *outcome = GH__IDP_NOT_MINE;
    return GH_OK;
  }
  if (r < 0 || !json) {
    free(json);
    *outcome = reject(reason, GH_AUTH_IDP_ERROR, detail, cap, "custom identity hook failed");
    return GH_OK;
  }
  return from_hook_json(idp, realm, json, json_len, false, now_ms, out, outcome, reason, detail, cap);
}

int gh__idp_try(gh_idp *idp, const char *realm, bool is_api_key, const char *cred, size_t len, int64_t now_ms,
                gh_identity **out, gh__idp_outcome *outcome, int *reason, char *detail, size_t cap) {
  *out = NULL;
  *outcome = GH__IDP_NOT_MINE;
  switch (idp->kind) {
  case GH__IDP_JWT:
    return is_api_key ? GH_OK : try_jwt(idp, realm, cred, len, now_ms, out, outcome, reason, detail, cap);
  case GH__IDP_APIKEY:
    return is_api_key ? try_apikey(idp, realm, cred, len, now_ms, out, outcome, reason, detail, cap) : GH_OK;
  case GH__IDP_INTROSPECTION:
    return is_api_key ? GH_OK : try_introspection(idp, realm, cred, len, now_ms, out, outcome, reason, detail, cap);
  case GH__IDP_CUSTOM:
    return try_custom(idp, realm, cred, len, now_ms, out, outcome, reason, detail, cap);
  }
  return GH_OK;
}
