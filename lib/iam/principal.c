#include "principal.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"

struct gh_principal {
  atomic_size_t refs;
  cJSON *claims;
  char *payload;
  size_t payload_len;
  const char *alg; /* static */
  char *kid;
  const char *sub, *iss;
  int64_t exp;
};

int gh__principal_new(gh_principal **out, gh__jws *jws, cJSON *claims) {
  gh_principal *p = gh__calloc(1, sizeof *p);
  char *kid = jws->kid ? gh__strndup(jws->kid, strlen(jws->kid)) : NULL;
  if (!p || (jws->kid && !kid)) {
    gh__free(p);
    gh__free(kid);
    cJSON_Delete(claims);
    return GH_ENOMEM;
  }
  atomic_init(&p->refs, 1);
  p->claims = claims;
  p->payload = (char *)jws->payload;
  p->payload_len = jws->payload_len;
  jws->payload = NULL;
  p->alg = gh__algs[jws->alg].name;
  p->kid = kid;
  (void)gh__json_string(claims, "sub", &p->sub);
  (void)gh__json_string(claims, "iss", &p->iss);
  const cJSON *exp = gh__json_member(claims, "exp");
  p->exp = cJSON_IsNumber(exp) ? (int64_t)exp->valuedouble : 0;
  *out = p;
  return GH_OK;
}

gh_principal *gh__principal_ref(gh_principal *p) {
  atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
  return p;
}

void gh_principal_free(gh_principal *p) {
  if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
  cJSON_Delete(p->claims);
  gh__free(p->payload);
  gh__free(p->kid);
  gh__free(p);
}

const char *gh_principal_subject(const gh_principal *p) { return p ? p->sub : NULL; }
const char *gh_principal_issuer(const gh_principal *p) { return p ? p->iss : NULL; }
int64_t gh_principal_expires_at(const gh_principal *p) { return p ? p->exp : 0; }
const char *gh_principal_kid(const gh_principal *p) { return p ? p->kid : NULL; }
const char *gh_principal_alg(const gh_principal *p) { return p ? p->alg : NULL; }

const char *gh_principal_payload(const gh_principal *p, size_t *len) {
  if (len) *len = p ? p->payload_len : 0;
  return p ? p->payload : NULL;
}

static const cJSON *claim(const gh_principal *p, const char *path) {
  return p && path ? gh__json_path(p->claims, path, strlen(path)) : NULL;
}

int gh_principal_claim_string(const gh_principal *p, const char *path, const char **out) {
  const cJSON *c = claim(p, path);
  if (!c) return GH_ENOTFOUND;
  if (!cJSON_IsString(c)) return GH_EINVAL;
  *out = c->valuestring;
  return GH_OK;
}

int gh_principal_claim_number(const gh_principal *p, const char *path, double *out) {
  const cJSON *c = claim(p, path);
  if (!c) return GH_ENOTFOUND;
  if (!cJSON_IsNumber(c)) return GH_EINVAL;
  *out = c->valuedouble;
  return GH_OK;
}

int gh_principal_claim_bool(const gh_principal *p, const char *path, int *out) {
  const cJSON *c = claim(p, path);
  if (!c) return GH_ENOTFOUND;
  if (!cJSON_IsBool(c)) return GH_EINVAL;
  *out = cJSON_IsTrue(c);
  return GH_OK;
}

int gh_principal_claim_strings_count(const gh_principal *p, const char *path, size_t *count) {
  const cJSON *c = claim(p, path), *e;
  if (!c) return GH_ENOTFOUND;
  if (cJSON_IsString(c)) {
    *count = 1;
    return GH_OK;
  }
  if (!cJSON_IsArray(c)) return GH_EINVAL;
  size_t n = 0;
  cJSON_ArrayForEach(e, c) {
    if (!cJSON_IsString(e)) return GH_EINVAL;
    n++;
  }
  *count = n;
  return GH_OK;
}

int gh_principal_claim_strings_at(const gh_principal *p, const char *path, size_t index, const char **out) {
  size_t n;
  int rc = gh_principal_claim_strings_count(p, path, &n);
  if (rc) return rc;
  if (index >= n) return GH_ENOTFOUND;
  const cJSON *c = claim(p, path);
  if (cJSON_IsString(c)) {
    *out = c->valuestring;
    return GH_OK;
  }
  *out = cJSON_GetArrayItem(c, (int)index)->valuestring;
  return GH_OK;
}
