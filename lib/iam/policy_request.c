/* An authorization request: what is asked, by whom, with which context. */
#include <string.h>

#include "../core/json.h"
#include "policy_internal.h"

int gh_policy_request_new(gh_policy_request **out) {
  if (!out) return GH_EINVAL;
  *out = gh__calloc(1, sizeof **out);
  return *out ? GH_OK : GH_ENOMEM;
}

/* A field's text: in its inline buffer when it fits, else a heap copy. */
static int set(char **field, size_t *field_len, char *inline_buf, size_t inline_cap, const char *s, size_t n) {
  if (!s && n) return GH_EINVAL;
  char *old = *field; /* freed last: s may point into it */
  if (n < inline_cap) {
    if (n) memmove(inline_buf, s, n);
    inline_buf[n] = '\0';
    *field = inline_buf;
  } else {
    char *copy = gh__strndup(s, n);
    if (!copy) return GH_ENOMEM;
    *field = copy;
  }
  if (old != inline_buf) gh__free(old);
  *field_len = n;
  return GH_OK;
}

static void unset(char **field, const char *inline_buf) {
  if (*field != inline_buf) gh__free(*field);
  *field = NULL;
}

void gh_policy_request_reset(gh_policy_request *r) {
  if (!r) return;
  unset(&r->subject, r->subject_inline);
  unset(&r->action, r->action_inline);
  unset(&r->resource, r->resource_inline);
  for (size_t i = 0; i < r->n_roles; i++) gh__free(r->roles[i]);
  for (size_t i = 0; i < r->n_scopes; i++) gh__free(r->scopes[i]);
  for (size_t i = 0; i < r->n_headers; i++) {
    gh__free(r->header_names[i]);
    gh__free(r->header_values[i]);
  }
  cJSON_Delete(r->claims);
  r->claims = NULL;
  r->n_roles = r->n_scopes = r->n_headers = 0;
  r->has_ip = r->has_time = false;
}

void gh_policy_request_free(gh_policy_request *r) {
  if (!r) return;
  gh_policy_request_reset(r);
  gh__free(r->roles);
  gh__free(r->role_lens);
  gh__free(r->scopes);
  gh__free(r->scope_lens);
  gh__free(r->header_names);
  gh__free(r->header_values);
  gh__free(r);
}

int gh_policy_request_set_subject(gh_policy_request *r, const char *s, size_t n) {
  return r ? set(&r->subject, &r->subject_len, r->subject_inline, sizeof r->subject_inline, s, n) : GH_EINVAL;
}
int gh_policy_request_set_action(gh_policy_request *r, const char *s, size_t n) {
  return r ? set(&r->action, &r->action_len, r->action_inline, sizeof r->action_inline, s, n) : GH_EINVAL;
}
/* The resource is kept canonical (gh__resource_canon): a rule never sees a
 * spelling the router would not. A refused path leaves no resource at all,
 * so that a caller who ignores the error cannot decide on the last one. */
int gh_policy_request_set_resource(gh_policy_request *r, const char *s, size_t n) {
  if (!r || (!s && n)) return GH_EINVAL;
  if (gh__path_is_canonical(s, n, 0) && (n == 1 || s[n - 1] != '/'))
    return set(&r->resource, &r->resource_len, r->resource_inline, sizeof r->resource_inline, s, n);
  char canon[GH_PATH_MAX + 1];
  const char *why;
  int rc = gh__resource_canon(s ? s : "", n, 0, canon, &n, &why);
  if (!rc) return set(&r->resource, &r->resource_len, r->resource_inline, sizeof r->resource_inline, canon, n);
  unset(&r->resource, r->resource_inline);
  r->resource_len = 0;
  return rc;
}

/* Appends to a growable (strings, lengths) pair. */
static int push(char ***v, size_t **lens, size_t *n, size_t *cap, const char *s, size_t len) {
  if (!s && len) return GH_EINVAL;
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 4;
    char **nv = gh__realloc(*v, c * sizeof *nv);
    if (!nv) return GH_ENOMEM;
    *v = nv;
    if (lens) {
      size_t *nl = gh__realloc(*lens, c * sizeof *nl);
      if (!nl) return GH_ENOMEM;
      *lens = nl;
    }
    *cap = c;
  }
  char *copy = gh__strndup(s ? s : "", len);
  if (!copy) return GH_ENOMEM;
  (*v)[*n] = copy;
  if (lens) (*lens)[*n] = len;
  (*n)++;
  return GH_OK;
}

int gh_policy_request_add_role(gh_policy_request *r, const char *s, size_t n) {
  return r ? push(&r->roles, &r->role_lens, &r->n_roles, &r->cap_roles, s, n) : GH_EINVAL;
}
int gh_policy_request_add_scope(gh_policy_request *r, const char *s, size_t n) {
  return r ? push(&r->scopes, &r->scope_lens, &r->n_scopes, &r->cap_scopes, s, n) : GH_EINVAL;
}

int gh_policy_request_add_header(gh_policy_request *r, const char *name, size_t name_len, const char *value,
                                 size_t value_len) {
  if (!r || !name || !name_len || (!value && value_len)) return GH_EINVAL;
  size_t n = r->n_headers, cap = r->cap_headers;
  int rc = push(&r->header_names, NULL, &n, &cap, name, name_len);
  if (rc) return rc;
  if (cap != r->cap_headers) { /* keep the two arrays the same size */
    char **v = gh__realloc(r->header_values, cap * sizeof *v);
    if (!v) {
      gh__free(r->header_names[n - 1]);
      return GH_ENOMEM;
    }
    r->header_values = v;
  }
  char *val = gh__strndup(value ? value : "", value_len);
  if (!val) {
    gh__free(r->header_names[n - 1]);
    r->cap_headers = cap;
    return GH_ENOMEM;
  }
  gh__lower_in_place(r->header_names[n - 1], name_len);
  r->header_values[n - 1] = val;
  r->n_headers = n;
  r->cap_headers = cap;
  return GH_OK;
}

int gh_policy_request_set_claims(gh_policy_request *r, const char *json, size_t n) {
  if (!r) return GH_EINVAL;
  cJSON *claims;
  int rc = gh__json_parse(json, n, 1024 * 1024, GH_JSON_DEFAULT_MAX_DEPTH, &claims, NULL, 0);
  if (rc) return rc;
  if (!cJSON_IsObject(claims)) {
    cJSON_Delete(claims);
    return GH_EPARSE;
  }
  cJSON_Delete(r->claims);
  r->claims = claims;
  return GH_OK;
}

int gh_policy_request_set_client_ip(gh_policy_request *r, const char *s, size_t n) {
  if (!r || !s || !gh__ip_parse(s, n, &r->ip)) return GH_EINVAL;
  r->has_ip = true;
  return GH_OK;
}

int gh_policy_request_set_time(gh_policy_request *r, int64_t unix_ms) {
  if (!r || !gh__time_ok(unix_ms)) return GH_EINVAL;
  r->time_ms = unix_ms;
  r->has_time = true;
  return GH_OK;
}
