/* The authenticated caller, mapped from claims; step-up checks; challenges. */
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"
#include "realm_internal.h"

gh_identity *gh__identity_ref(gh_identity *id) {
  atomic_fetch_add_explicit(&id->refs, 1, memory_order_relaxed);
  return id;
}

void gh_identity_free(gh_identity *id) {
  if (!id || atomic_fetch_sub_explicit(&id->refs, 1, memory_order_acq_rel) != 1) return;
  char *strings[] = {id->subject, id->realm, id->idp, id->client_id, id->acr, id->jti, id->cnf_jkt, id->cnf_x5t, id->claims};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) gh__free(strings[i]);
  gh__strs_free(&id->roles);
  gh__strs_free(&id->scopes);
  gh__strs_free(&id->groups);
  gh__strs_free(&id->amr);
  gh__free(id);
}

static int dup_string(const cJSON *c, char **out) {
  *out = NULL;
  if (!cJSON_IsString(c)) return GH_OK;
  return (*out = gh__strndup(c->valuestring, strlen(c->valuestring))) ? GH_OK : GH_ENOMEM;
}

/* Adds the strings of an array claim, or the words of a space-separated one. */
static int add_values(gh__strs *to, const cJSON *c) {
  if (cJSON_IsArray(c)) {
    const cJSON *e;
    cJSON_ArrayForEach(e, c) if (cJSON_IsString(e) && e->valuestring[0] && !gh__strs_contains(to, e->valuestring, strlen(e->valuestring)))
        if (gh__strs_add(to, e->valuestring, strlen(e->valuestring))) return GH_ENOMEM;
    return GH_OK;
  }
  if (!cJSON_IsString(c)) return GH_OK;
  for (const char *p = c->valuestring; *p;) {
    while (*p == ' ') p++;
    const char *end = p;
    while (*end && *end != ' ') end++;
    if (end > p && !gh__strs_contains(to, p, (size_t)(end - p)) && gh__strs_add(to, p, (size_t)(end - p))) return GH_ENOMEM;
    p = end;
  }
  return GH_OK;
}

static int map_paths(gh__strs *to, const cJSON *claims, const gh__strs *paths) {
  for (size_t i = 0; i < paths->n; i++) {
    int rc = add_values(to, gh__json_path(claims, paths->v[i], paths->len[i]));
    if (rc) return rc;
  }
  return GH_OK;
}

int gh__identity_from_claims(const cJSON *claims, const char *text, size_t text_len, const gh_idp *idp,
                             const gh__strs *scope_paths, const char *realm, gh_identity **out) {
  gh_identity *id = gh__calloc(1, sizeof *id);
  if (!id) return GH_ENOMEM;
  atomic_init(&id->refs, 1);
  const cJSON *client = gh__json_member(claims, "client_id");
  if (!client) client = gh__json_member(claims, "azp");
  const cJSON *cnf = gh__json_member(claims, "cnf"), *exp = gh__json_member(claims, "exp");
  int rc = dup_string(gh__json_member(claims, "sub"), &id->subject);
  if (!rc) rc = dup_string(client, &id->client_id);
  if (!rc) rc = dup_string(gh__json_member(claims, "acr"), &id->acr);
  if (!rc) rc = dup_string(gh__json_member(claims, "jti"), &id->jti);
  if (!rc) rc = dup_string(gh__json_member(cnf, "jkt"), &id->cnf_jkt);
  if (!rc) rc = dup_string(gh__json_member(cnf, "x5t#S256"), &id->cnf_x5t);
  if (!rc && !(id->realm = gh__strndup(realm, strlen(realm)))) rc = GH_ENOMEM;
  if (!rc && !(id->idp = gh__strndup(idp->name, strlen(idp->name)))) rc = GH_ENOMEM;
  if (!rc && !(id->claims = gh__strndup(text, text_len))) rc = GH_ENOMEM;
  id->claims_len = text_len;
  if (!rc) rc = map_paths(&id->roles, claims, &idp->roles);
  if (!rc) rc = map_paths(&id->scopes, claims, scope_paths);
  if (!rc) rc = map_paths(&id->groups, claims, &idp->groups);
  if (!rc) rc = add_values(&id->amr, gh__json_member(claims, "amr"));
  int64_t exp_ms;
  if (cJSON_IsNumber(exp)) /* a date past the time range is the end of it; before 1970, long gone */
    id->expires_ms = gh__seconds_to_ms(exp->valuedouble, &exp_ms) ? exp_ms : exp->valuedouble > 0 ? GH_TIME_MAX_MS : 1;
  if (rc) {
    gh_identity_free(id);
    return rc;
  }
  *out = id;
  return GH_OK;
}

const char *gh_identity_subject(const gh_identity *id) { return id ? id->subject : NULL; }
const char *gh_identity_realm(const gh_identity *id) { return id ? id->realm : NULL; }
const char *gh_identity_idp(const gh_identity *id) { return id ? id->idp : NULL; }
const char *gh_identity_client_id(const gh_identity *id) { return id ? id->client_id : NULL; }
const char *gh_identity_acr(const gh_identity *id) { return id ? id->acr : NULL; }
size_t gh_identity_role_count(const gh_identity *id) { return id ? id->roles.n : 0; }
const char *gh_identity_role(const gh_identity *id, size_t i) { return id && i < id->roles.n ? id->roles.v[i] : NULL; }
size_t gh_identity_scope_count(const gh_identity *id) { return id ? id->scopes.n : 0; }
const char *gh_identity_scope(const gh_identity *id, size_t i) { return id && i < id->scopes.n ? id->scopes.v[i] : NULL; }
size_t gh_identity_group_count(const gh_identity *id) { return id ? id->groups.n : 0; }
const char *gh_identity_group(const gh_identity *id, size_t i) { return id && i < id->groups.n ? id->groups.v[i] : NULL; }
size_t gh_identity_amr_count(const gh_identity *id) { return id ? id->amr.n : 0; }
const char *gh_identity_amr(const gh_identity *id, size_t i) { return id && i < id->amr.n ? id->amr.v[i] : NULL; }

const char *gh_identity_claims(const gh_identity *id, size_t *len) {
  if (len) *len = id ? id->claims_len : 0;
  return id ? id->claims : NULL;
}

const char *gh_identity_attr(void *identity, const char *name, size_t name_len, size_t *value_len) {
  const gh_identity *id = identity;
  const char *v = NULL;
  *value_len = 0;
  if (!id || !name) return NULL;
  if (name_len == 6 && !memcmp(name, "claims", 6)) return gh_identity_claims(id, value_len);
  if (name_len == 7 && !memcmp(name, "subject", 7)) v = id->subject;
  else if (name_len == 9 && !memcmp(name, "client_id", 9)) v = id->client_id;
  else if (name_len == 5 && !memcmp(name, "realm", 5)) v = id->realm;
  if (v) *value_len = strlen(v);
  return v;
}

/* A quoted-string value may not hold '"' or '\' (RFC 6750 section 3). */
static void quoted(char *out, size_t cap, const char *s) {
  size_t o = 0;
  for (; s && *s && o + 1 < cap; s++) out[o++] = *s == '"' || *s == '\\' || (unsigned char)*s < 0x20 ? '\'' : *s;
  out[o] = '\0';
}

void gh__challenge(char *out, size_t cap, const char *scheme, const char *realm, const char *error,
                   const char *description, const char *extra_name, const char *extra_value) {
  if (!out || !cap) return;
  char r[128], d[256], x[256];
  quoted(r, sizeof r, realm);
  quoted(d, sizeof d, description);
  quoted(x, sizeof x, extra_value);
  int n = snprintf(out, cap, "%s realm=\"%s\"", scheme, r);
  if (error && n >= 0 && (size_t)n < cap) n += snprintf(out + n, cap - (size_t)n, ", error=\"%s\"", error);
  if (error && description && n >= 0 && (size_t)n < cap)
    n += snprintf(out + n, cap - (size_t)n, ", error_description=\"%s\"", d);
  if (extra_name && extra_value && n >= 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, ", %s=\"%s\"", extra_name, x);
}

static bool contains_word(const char *words, const char *w) {
  size_t n = strlen(w);
  for (const char *p = words; p && *p;) {
    while (*p == ' ') p++;
    const char *end = p;
    while (*end && *end != ' ') end++;
    if ((size_t)(end - p) == n && n && !memcmp(p, w, n)) return true;
    p = end;
  }
  return false;
}

int gh_identity_require(const gh_identity *id, const char *acr_values, const char *amr_required, char *challenge,
                        size_t cap) {
  if (!id) return GH_EINVAL;
  bool ok = !acr_values || (id->acr && contains_word(acr_values, id->acr));
  for (const char *p = amr_required; ok && p && *p;) {
    while (*p == ' ') p++;
    const char *end = p;
    while (*end && *end != ' ') end++;
    if (end > p && !gh__strs_contains(&id->amr, p, (size_t)(end - p))) ok = false;
    p = end;
  }
  if (ok) return GH_OK;
  gh__challenge(challenge, cap, "Bearer", id->realm, "insufficient_user_authentication",
                "a stronger authentication is required", acr_values ? "acr_values" : NULL, acr_values);
  return GH_EDENIED;
}

void gh_identity_challenge_insufficient_scope(const gh_identity *id, const char *scope, char *challenge, size_t cap) {
  gh__challenge(challenge, cap, "Bearer", id ? id->realm : "", "insufficient_scope",
                "the request requires more privileges than the token grants", scope ? "scope" : NULL, scope);
}
