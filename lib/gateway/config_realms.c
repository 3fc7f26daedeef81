/* The "realms" section: each realm and its identity providers (JWT with an
 * inline key set or one the host fetches, API keys as digests, token
 * introspection through the host), claim mappings, and DPoP. */
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/core.h"
#include "../core/json.h"
#include "config_build.h"
#include "gatehouse/apikey.h"
#include "gatehouse/error.h"
#include "gatehouse/jwk.h"
#include "gatehouse/jwt.h"
#include "gatehouse/oidc.h"

static void add_issuer(gh__cfg *b, void *v, const char *s) {
  if (!gh__cfg_settled(b, gh_jwt_verifier_add_issuer(v, s, strlen(s)))) gh__report_error(b->r, "bad issuer");
}
static void add_audience(gh__cfg *b, void *v, const char *s) {
  if (!gh__cfg_settled(b, gh_jwt_verifier_add_audience(v, s, strlen(s)))) gh__report_error(b->r, "bad audience");
}
static void allow_alg(gh__cfg *b, void *v, const char *s) {
  if (!gh__cfg_settled(b, gh_jwt_verifier_allow_alg(v, s)))
    gh__report_error(b->r, "unknown or forbidden algorithm \"%s\" (RFC 7518 names, never \"none\")", s);
}
static void map_roles(gh__cfg *b, void *idp, const char *s) {
  if (!gh__cfg_settled(b, gh_idp_map_roles(idp, s))) gh__report_error(b->r, "bad claim path");
}
static void map_scopes(gh__cfg *b, void *idp, const char *s) {
  if (!gh__cfg_settled(b, gh_idp_map_scopes(idp, s))) gh__report_error(b->r, "bad claim path");
}
static void map_groups(gh__cfg *b, void *idp, const char *s) {
  if (!gh__cfg_settled(b, gh_idp_map_groups(idp, s))) gh__report_error(b->r, "bad claim path");
}

bool gh__cfg_push(gh__cfg *b, void ***list, size_t *n, void *p) {
  void **grown = gh__realloc(*list, (*n + 1) * sizeof **list);
  if (!grown) {
    b->failed_alloc = true;
    return false;
  }
  grown[(*n)++] = p;
  *list = grown;
  return true;
}

/* A URL the host fetches, listed once. */
static void note_url(gh__cfg *b, char ***list, size_t *n, const char *url) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i], url) == 0) return;
  char *d = gh__cfg_dup(b, url);
  if (d && !gh__cfg_push(b, (void ***)list, n, d)) gh__free(d);
}

/* When the host fetches the key set again (gh_gateway_jwks_due): every "jwks_ttl"
 * (300 s), and sooner for a token naming an unknown kid, at most every "jwks_cooldown" (30 s). */
static void refresh_policy(gh__cfg *b, const cJSON *p, gh_jwt_verifier *v) {
  int64_t ttl = 300000, cooldown = 30000;
  gh__cfg_seconds(b, p, "jwks_ttl", &ttl);
  gh__cfg_seconds(b, p, "jwks_cooldown", &cooldown);
  if (gh_jwt_verifier_set_refresh(v, ttl, cooldown)) gh__report_error(b->r, "bad jwks_ttl or jwks_cooldown");
}

static int introspect_trampoline(void *ud, const char *token, size_t len, char **json, size_t *json_len);

static gh_idp *jwt_provider(gh__cfg *b, gh__gw_realm *realm, const cJSON *p, const char *name) {
  static const char *const known[] = {"name", "type", "issuer", "audience", "algorithms", "jwks", "jwks_url",
                                      "discovery_url", "jwks_ttl", "jwks_cooldown", "leeway", "max_token_bytes", "typ", "cache_entries",
                                      "cache_ttl", "roles_claim", "scopes_claim", "groups_claim", NULL};
  gh__report_unknown_members(b->r, p, known);
  gh_jwt_verifier *v = NULL;
  if (gh_jwt_verifier_new(&v)) {
    b->failed_alloc = true;
    return NULL;
  }
  if (!gh__cfg_push(b, (void ***)&realm->verifiers, &realm->n_verifiers, v)) {
    gh_jwt_verifier_free(v);
    return NULL;
  }
  size_t at = realm->n_verifiers - 1;
  char ***lists[] = {&realm->verifier_urls, &realm->verifier_discovery, &realm->verifier_issuer};
  for (size_t k = 0; k < 3; k++) {
    char **grown = gh__realloc(*lists[k], realm->n_verifiers * sizeof *grown);
    if (!grown) {
      b->failed_alloc = true;
      return NULL;
    }
    *lists[k] = grown;
    grown[at] = NULL;
  }
  char **urls = realm->verifier_urls;
  gh__cfg_strings(b, p, "issuer", add_issuer, v);
  gh__cfg_strings(b, p, "audience", add_audience, v);
  if (!gh__cfg_member(b, p, "algorithms", cJSON_Array | cJSON_String, "an array of algorithm names", true)) {
    /* reported */
  }
  gh__cfg_strings(b, p, "algorithms", allow_alg, v);
  int64_t ms = 0;
  if (gh__cfg_seconds(b, p, "leeway", &ms) && gh_jwt_verifier_set_leeway(v, (int)(ms > 86400000 ? 86400 : ms / 1000)))
    gh__report_error(b->r, "bad leeway");
  const cJSON *max = gh__cfg_member(b, p, "max_token_bytes", cJSON_Number, "a number of bytes", false);
  if (max && (max->valuedouble < 64 || max->valuedouble > 1048576 ||
              !gh__cfg_settled(b, gh_jwt_verifier_set_max_token_len(v, (size_t)max->valuedouble)))) {
    gh__report_push_name(b->r, "max_token_bytes");
    gh__report_error(b->r, "must be from 64 to 1048576");
    gh__report_pop(b->r);
  }
  /* verified tokens are cached by default: a signature check costs tens of microseconds, a hit well under one */
  const cJSON *entries = gh__cfg_member(b, p, "cache_entries", cJSON_Number, "a number of tokens", false);
  int64_t cache_ttl = 300000;
  gh__cfg_seconds(b, p, "cache_ttl", &cache_ttl);
  if (entries && (entries->valuedouble < 0 || entries->valuedouble > 1e7)) {
    gh__report_push_name(b->r, "cache_entries");
    gh__report_error(b->r, "must be from 0 (no cache) to 10000000");
    gh__report_pop(b->r);
  } else if ((!entries || entries->valuedouble >= 1) && cache_ttl > 0 &&
             !gh__cfg_settled(b, gh_jwt_verifier_set_cache(v, entries ? (size_t)entries->valuedouble : 10000, cache_ttl))) {
    gh__report_error(b->r, "bad token cache settings");
  }
  const char *typ = gh__cfg_string(b, p, "typ", false);
  if (typ && !gh__cfg_settled(b, gh_jwt_verifier_set_typ(v, typ))) gh__report_error(b->r, "bad typ");
  const cJSON *jwks = gh__cfg_member(b, p, "jwks", cJSON_Object, "a JWK Set object (RFC 7517 §5)", false);
  const char *url = gh__cfg_string(b, p, "jwks_url", false);
  const char *discovery = gh__cfg_string(b, p, "discovery_url", false);
  const char *discovered_set = NULL; /* the key set a discovered jwks_uri was fetched as */
  size_t discovered_len = 0;
  if ((jwks != NULL) + (url != NULL) + (discovery != NULL) != 1)
    gh__report_error(b->r, "give exactly one of \"jwks\" (inline), \"jwks_url\" and \"discovery_url\"");
  if (discovery) {
    const cJSON *iss = gh__json_member(p, "issuer");
    if (strncmp(discovery, "https://", 8) != 0) {
      gh__report_push_name(b->r, "discovery_url");
      gh__report_error(b->r, "must be an https URL (OpenID Connect Discovery §4)");
      gh__report_pop(b->r);
    } else if (!cJSON_IsString(iss)) {
      gh__report_error(b->r, "a discovery_url needs the one \"issuer\" its document must name (RFC 8414 §3.3)");
    } else {
      realm->verifier_discovery[at] = gh__cfg_dup(b, discovery);
      realm->verifier_issuer[at] = gh__cfg_dup(b, iss->valuestring);
      note_url(b, &b->s->discovery_urls, &b->s->n_discovery_urls, discovery);
      /* a document fetched for an earlier configuration names the key set */
      size_t len = 0;
      const char *text = b->ctx->jwks_text && b->ctx->gw ? b->ctx->jwks_text(b->ctx->gw, discovery, &len) : NULL;
      gh_oidc_metadata *m = NULL;
      if (text && !gh_oidc_metadata_parse(&m, text, len, iss->valuestring, NULL, 0)) url = gh_oidc_jwks_uri(m);
      if (url) urls[at] = gh__cfg_dup(b, url), note_url(b, &b->s->jwks_urls, &b->s->n_jwks_urls, url);
      url = NULL;
      const char *set = urls[at] ? b->ctx->jwks_text(b->ctx->gw, urls[at], &len) : NULL;
      if (set) discovered_set = set, discovered_len = len;
      gh_oidc_metadata_free(m);
      refresh_policy(b, p, v);
    }
  }
  if (url) {
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
      gh__report_push_name(b->r, "jwks_url");
      gh__report_error(b->r, "must be an http(s) URL");
      gh__report_pop(b->r);
    }
    refresh_policy(b, p, v);
    urls[at] = gh__cfg_dup(b, url);
    note_url(b, &b->s->jwks_urls, &b->s->n_jwks_urls, url);
  }
  if (!gh__cfg_settled(b, gh_jwt_verifier_build(v)) || b->failed_alloc) {
    if (!b->failed_alloc) gh__report_error(b->r, "the verifier cannot be built (check issuer, audience and algorithms)");
    return NULL;
  }
  const char *set_text = NULL;
  char *printed = NULL;
  size_t set_len = 0;
  if (jwks) {
    set_text = printed = gh__cfg_object_text(b, jwks, &set_len);
  } else if (url && b->ctx->jwks_text && b->ctx->gw) {
    set_text = b->ctx->jwks_text(b->ctx->gw, url, &set_len);
  } else if (discovered_set) {
    set_text = discovered_set, set_len = discovered_len;
  }
  if (set_text) {
    gh_jwks *set = NULL;
    char msg[256] = "";
    int rc = gh_jwks_parse(&set, set_text, set_len, msg, sizeof msg);
    if (rc && gh__cfg_settled(b, rc)) {
      /* out of memory: reported by the build */
    } else if (rc) {
      gh__report_push_name(b->r, "jwks");
      gh__report_error(b->r, "%s", msg);
      gh__report_pop(b->r);
    } else {
      gh__cfg_settled(b, gh_jwt_verifier_set_jwks(v, set, 0));
      gh_jwks_free(set);
    }
  }
  cJSON_free(printed);
  gh_idp *idp = NULL;
  if (gh_idp_new_jwt(&idp, name, v)) b->failed_alloc = true;
  return idp;
}

bool gh__cfg_sha256_hex(const char *s, unsigned char out[32]) {
  if (strlen(s) != 64) return false;
  for (size_t i = 0; i < 32; i++) {
    unsigned v = 0;
    for (size_t k = 0; k < 2; k++) {
      char c = s[2 * i + k];
      unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16u;
      if (d > 15) return false;
      v = v * 16 + d;
    }
    out[i] = (unsigned char)v;
  }
  return true;
}

/* The keys the "consumers" section lists (checked there), each authenticating as its consumer's name. */
static void add_consumer_keys(gh__cfg *b, gh_apikey_store *store) {
  const cJSON *consumers = gh__json_member(b->root, "consumers");
  for (const cJSON *c = cJSON_IsObject(consumers) ? consumers->child : NULL; c; c = c->next) {
    const cJSON *cred = cJSON_IsObject(c) ? gh__json_member(c, "credentials") : NULL;
    const cJSON *keys = cJSON_IsObject(cred) ? gh__json_member(cred, "api_keys") : NULL;
    for (const cJSON *k = cJSON_IsArray(keys) ? keys->child : NULL; k; k = k->next) {
      /* "digest", or {"sha256": digest, "scopes": "...", "expires": date} */
      const cJSON *digest = cJSON_IsObject(k) ? gh__json_member(k, "sha256") : k;
      const cJSON *scopes = cJSON_IsObject(k) ? gh__json_member(k, "scopes") : NULL;
      const cJSON *expires = cJSON_IsObject(k) ? gh__json_member(k, "expires") : NULL;
      int64_t expires_s = 0;
      unsigned char d[32];
      if (!cJSON_IsString(digest) || !gh__cfg_sha256_hex(digest->valuestring, d)) continue;
      if (expires && !gh__cfg_date_value(expires, &expires_s)) continue; /* reported by the consumer's own checks */
      int rc = gh_apikey_store_add_digest(store, d, c->string, cJSON_IsString(scopes) ? scopes->valuestring : NULL,
                                          expires_s * 1000);
      if (rc == GH_EEXIST) gh__report_error(b->r, "a key of consumer \"%s\" is listed twice", c->string);
      else if (rc) b->failed_alloc = true;
    }
  }
}

static gh_idp *apikey_provider(gh__cfg *b, gh__gw_realm *realm, const cJSON *p, const char *name) {
  static const char *const known[] = {"name", "type", "keys", "consumer_keys", NULL};
  static const char *const key_known[] = {"sha256", "consumer", "scopes", "expires", NULL};
  const cJSON *consumer_keys =
      gh__cfg_member(b, p, "consumer_keys", cJSON_True | cJSON_False, "true or false", false);
  gh__report_unknown_members(b->r, p, known);
  gh_apikey_store *store = NULL;
  if (gh_apikey_store_new(&store)) {
    b->failed_alloc = true;
    return NULL;
  }
  if (!gh__cfg_push(b, (void ***)&realm->stores, &realm->n_stores, store)) {
    gh_apikey_store_free(store);
    return NULL;
  }
  const cJSON *keys = gh__cfg_member(b, p, "keys", cJSON_Array, "an array of keys", !cJSON_IsTrue(consumer_keys));
  gh__report_push_name(b->r, "keys");
  size_t i = 0;
  for (const cJSON *k = keys ? keys->child : NULL; k; k = k->next, i++) {
    gh__report_push_index(b->r, i);
    if (!cJSON_IsObject(k)) {
      gh__report_error(b->r, "must be an object");
    } else {
      gh__report_unknown_members(b->r, k, key_known);
      const char *digest = gh__cfg_string(b, k, "sha256", true);
      const char *consumer = gh__cfg_string(b, k, "consumer", true);
      const char *scopes = gh__cfg_string(b, k, "scopes", false);
      int64_t expires = gh__cfg_date(b, k, "expires");
      unsigned char d[32];
      if (digest && !gh__cfg_sha256_hex(digest, d)) {
        gh__report_push_name(b->r, "sha256");
        gh__report_error(b->r, "must be the key's SHA-256 as 64 lower-case hex digits (never the key itself)");
        gh__report_pop(b->r);
      } else if (digest && consumer) {
        int rc = gh_apikey_store_add_digest(store, d, consumer, scopes, expires == GH__NO_DATE ? 0 : expires * 1000);
        if (!gh__cfg_settled(b, rc)) gh__report_error(b->r, rc == GH_EEXIST ? "this key is listed twice" : "bad key entry");
      }
    }
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
  if (cJSON_IsTrue(consumer_keys)) add_consumer_keys(b, store);
  if (gh_apikey_store_build(store)) b->failed_alloc = true;
  gh_idp *idp = NULL;
  if (gh_idp_new_apikey(&idp, name, store)) b->failed_alloc = true;
  return idp;
}

static gh_idp *introspection_provider(gh__cfg *b, gh__gw_realm *realm, const cJSON *p, const char *name) {
  static const char *const known[] = {"name", "type", "endpoint", "cache_ttl", "roles_claim", "scopes_claim",
                                      "groups_claim", NULL};
  gh__report_unknown_members(b->r, p, known);
  const char *endpoint = gh__cfg_string(b, p, "endpoint", true);
  int64_t ttl = 60000;
  gh__cfg_seconds(b, p, "cache_ttl", &ttl);
  if (!endpoint) return NULL;
  gh__gw_idp_ctx *c = gh__calloc(1, sizeof *c);
  if (!c || !gh__cfg_push(b, (void ***)&realm->ctxs, &realm->n_ctxs, c)) {
    gh__free(c);
    b->failed_alloc = true;
    return NULL;
  }
  c->gw = b->ctx->gw;
  c->endpoint = gh__cfg_dup(b, endpoint);
  gh_idp *idp = NULL;
  if (gh_idp_new_introspection(&idp, name, introspect_trampoline, c, ttl)) b->failed_alloc = true;
  return idp;
}

/* The gateway's introspection hook, reached through the provider's context. */
int gh__gateway_introspect(struct gh_gateway *gw, const char *endpoint, const char *token, size_t len, char **json,
                           size_t *json_len);
static int introspect_trampoline(void *ud, const char *token, size_t len, char **json, size_t *json_len) {
  gh__gw_idp_ctx *c = ud;
  return gh__gateway_introspect(c->gw, c->endpoint, token, len, json, json_len);
}

static void allow_dpop_alg(gh__cfg *b, void *v, const char *s) {
  if (!gh__cfg_settled(b, gh_dpop_verifier_allow_alg(v, s)))
    gh__report_error(b->r, "\"%s\": DPoP proofs are signed with an asymmetric RFC 7518 algorithm", s);
}

/* DPoP (RFC 9449) for the realm's "DPoP" tokens; the same definition keeps its verifier (and replay cache) on reload. */
static void build_dpop(gh__cfg *b, const cJSON *def, gh__gw_realm *realm) {
  static const char *const known[] = {"algorithms", "max_age", "max_skew", "replay_capacity", NULL};
  gh__report_push_name(b->r, "dpop");
  gh__report_unknown_members(b->r, def, known);
  realm->dpop_definition = gh__cfg_definition_hash(def, realm->name);
  const gh__snapshot *prev = b->ctx->previous;
  for (size_t i = 0; prev && b->ctx->gw && !realm->dpop && i < prev->n_realms; i++) {
    const gh__gw_realm *p = &prev->realms[i];
    if (!p->dpop || p->dpop_definition != realm->dpop_definition || strcmp(p->name, realm->name)) continue;
    if (gh_realm_set_dpop(realm->realm, p->dpop) == GH_OK) realm->dpop = p->dpop; /* the previous one, live */
  }
  gh_dpop_verifier *v = NULL;
  if (!realm->dpop && gh_dpop_verifier_new(&v)) b->failed_alloc = true;
  if (v) {
    gh__cfg_strings(b, def, "algorithms", allow_dpop_alg, v);
    int64_t age = 300000, skew = 5000;
    gh__cfg_seconds(b, def, "max_age", &age);
    gh__cfg_seconds(b, def, "max_skew", &skew);
    if (!gh__cfg_settled(b, gh_dpop_verifier_set_window(v, age / 1000, skew / 1000)))
      gh__report_error(b->r, "max_age is 1 to 86400 seconds, max_skew 0 to 3600");
    const cJSON *cap = gh__cfg_member(b, def, "replay_capacity", cJSON_Number, "a number of proofs", false);
    if (cap && (cap->valuedouble < 1 || cap->valuedouble > 1e8 ||
                !gh__cfg_settled(b, gh_dpop_verifier_set_replay_capacity(v, (size_t)cap->valuedouble))))
      gh__report_error(b->r, "replay_capacity is 1 to 100000000");
    if (!gh__cfg_settled(b, gh_dpop_verifier_build(v)) || !gh__cfg_settled(b, gh_realm_set_dpop(realm->realm, v))) {
      /* reported */
    } else {
      realm->dpop = v;
    }
    gh_dpop_verifier_free(v); /* the realm holds its own reference */
  }
  gh__report_pop(b->r);
}

void gh__cfg_realm(gh__cfg *b, const cJSON *def, gh__gw_realm *realm) {
  static const char *const known[] = {"providers", "api_key_header", "dpop", NULL};
  static const char *const types[] = {"jwt", "api_key", "introspection", NULL};
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  gh__report_unknown_members(b->r, def, known);
  realm->api_key_header = gh__cfg_dup(b, gh__cfg_string(b, def, "api_key_header", false));
  if (gh_realm_new(&realm->realm, realm->name)) {
    b->failed_alloc = true;
    return;
  }
  const cJSON *dpop = gh__cfg_member(b, def, "dpop", cJSON_Object, "an object of DPoP settings", false);
  if (dpop) build_dpop(b, dpop, realm);
  const cJSON *providers = gh__cfg_member(b, def, "providers", cJSON_Array, "an array of identity providers", true);
  gh__report_push_name(b->r, "providers");
  size_t i = 0;
  for (const cJSON *p = providers ? providers->child : NULL; p; p = p->next, i++) {
    gh__report_push_index(b->r, i);
    const char *name = cJSON_IsObject(p) ? gh__cfg_string(b, p, "name", true) : NULL;
    const char *type = cJSON_IsObject(p) ? gh__cfg_string(b, p, "type", true) : NULL;
    if (!cJSON_IsObject(p)) gh__report_error(b->r, "must be an object");
    gh_idp *idp = NULL;
    if (type && name) {
      if (strcmp(type, "jwt") == 0) idp = jwt_provider(b, realm, p, name);
      else if (strcmp(type, "api_key") == 0) idp = apikey_provider(b, realm, p, name);
      else if (strcmp(type, "introspection") == 0) idp = introspection_provider(b, realm, p, name);
      else {
        const char *near = gh__closest_name(type, types);
        gh__report_push_name(b->r, "type");
        gh__report_error(b->r, "unknown provider type \"%s\"%s%s%s (jwt, api_key, introspection)", type,
                         near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        gh__report_pop(b->r);
      }
    }
    if (idp) {
      gh__cfg_strings(b, p, "roles_claim", map_roles, idp);
      gh__cfg_strings(b, p, "scopes_claim", map_scopes, idp);
      gh__cfg_strings(b, p, "groups_claim", map_groups, idp);
      int rc = gh_realm_add_idp(realm->realm, idp);
      if (rc == GH_EEXIST) gh__report_error(b->r, "a provider named \"%s\" is defined twice in this realm", name);
      else if (rc) b->failed_alloc = true;
      gh_idp_free(idp);
    }
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}
