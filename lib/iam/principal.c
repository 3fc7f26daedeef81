#include "principal.h"

#include <stdatomic.h>
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"
#include "realm_internal.h"

struct gh_principal {
  atomic_size_t refs;
  _Atomic(cJSON *) claims; /* built on first claim access */
  char *payload;
  size_t payload_len;
  const char *alg; /* static */
  char *kid, *sub, *iss; /* in the same block, after the struct */
  int64_t exp;
  _Atomic(struct gh_identity *) identity; /* memoized by the idp that mapped it (idp.c) */
};

/* One block: the principal, then its kid, sub and iss strings. */
int gh__principal_new(gh_principal **out, gh__jws *jws, const gh__registered *reg) {
  size_t kid_room = jws->kid ? jws->kid_len + 1 : 0, sub_room = gh__claim_string_room(reg->sub),
         iss_room = gh__claim_string_room(reg->iss);
  gh_principal *p = gh__calloc(1, sizeof *p + kid_room + sub_room + iss_room);
  if (!p) {
    gh__free(jws->payload);
    jws->payload = NULL;
    return GH_ENOMEM;
  }
  char *text = (char *)(p + 1);
  if (jws->kid) {
    memcpy(text, jws->kid, jws->kid_len);
    p->kid = text;
    text += kid_room;
  }
  p->sub = gh__claim_string_copy(reg->sub, text);
  p->iss = gh__claim_string_copy(reg->iss, text + sub_room);
  atomic_init(&p->refs, 1);
  atomic_init(&p->claims, NULL);
  p->payload = (char *)jws->payload;
  p->payload_len = jws->payload_len;
  jws->payload = NULL;
  p->alg = gh__algs[jws->alg].name;
  double exp;
  p->exp = gh__claim_seconds(reg->exp, &exp) == 1 ? (int64_t)exp : 0;
  *out = p;
  return GH_OK;
}

gh_principal *gh__principal_ref(gh_principal *p) {
  atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
  return p;
}

void gh_principal_free(gh_principal *p) {
  if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
  cJSON_Delete(atomic_load(&p->claims));
  gh_identity_free(atomic_load(&p->identity));
  gh__free(p->payload);
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

/* The claims tree, built once; concurrent first callers race and one tree wins. */
static int claims_tree(const gh_principal *p, const cJSON **out) {
  gh_principal *m = (gh_principal *)p; /* the lazily built tree is the only mutable part */
  cJSON *tree = atomic_load_explicit(&m->claims, memory_order_acquire);
  if (!tree) {
    /* the payload was validated when verified: only allocation can fail here */
    if (gh__json_parse(p->payload, p->payload_len, SIZE_MAX, GH_JSON_DEFAULT_MAX_DEPTH, &tree, NULL, 0))
      return GH_ENOMEM;
    cJSON *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&m->claims, &expected, tree, memory_order_acq_rel,
                                                 memory_order_acquire)) {
      cJSON_Delete(tree);
      tree = expected;
    }
  }
  *out = tree;
  return GH_OK;
}

const cJSON *gh__principal_tree(const gh_principal *p) {
  const cJSON *tree;
  return claims_tree(p, &tree) ? NULL : tree;
}

static int claim(const gh_principal *p, const char *path, size_t path_len, const cJSON **out) {
  if (!p || !path) return GH_EINVAL;
  const cJSON *tree;
  int rc = claims_tree(p, &tree);
  if (rc) return rc;
  *out = gh__json_path(tree, path, path_len);
  return *out ? GH_OK : GH_ENOTFOUND;
}

int gh_principal_claim_string(const gh_principal *p, const char *path, size_t path_len, const char **out) {
  const cJSON *c;
  int rc = claim(p, path, path_len, &c);
  if (rc) return rc;
  if (!cJSON_IsString(c)) return GH_EINVAL;
  *out = c->valuestring;
  return GH_OK;
}

int gh_principal_claim_number(const gh_principal *p, const char *path, size_t path_len, double *out) {
  const cJSON *c;
  int rc = claim(p, path, path_len, &c);
  if (rc) return rc;
  if (!cJSON_IsNumber(c)) return GH_EINVAL;
  *out = c->valuedouble;
  return GH_OK;
}

int gh_principal_claim_bool(const gh_principal *p, const char *path, size_t path_len, int *out) {
  const cJSON *c;
  int rc = claim(p, path, path_len, &c);
  if (rc) return rc;
  if (!cJSON_IsBool(c)) return GH_EINVAL;
  *out = cJSON_IsTrue(c);
  return GH_OK;
}

int gh_principal_claim_strings_count(const gh_principal *p, const char *path, size_t path_len, size_t *count) {
  const cJSON *c, *e;
  int rc = claim(p, path, path_len, &c);
  if (rc) return rc;
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

int gh_principal_claim_strings_at(const gh_principal *p, const char *path, size_t path_len, size_t index,
                                  const char **out) {
  size_t n;
  int rc = gh_principal_claim_strings_count(p, path, path_len, &n);
  if (rc) return rc;
  if (index >= n) return GH_ENOTFOUND;
  const cJSON *c;
  if ((rc = claim(p, path, path_len, &c))) return rc; /* found just now: the tree does not change */
  *out = cJSON_IsString(c) ? c->valuestring : cJSON_GetArrayItem(c, (int)index)->valuestring;
  return GH_OK;
}

struct gh_identity *gh__principal_identity(const gh_principal *p, uint64_t mapping, const char *realm) {
  /* the principal holds its reference until freed, and it is never replaced: safe to take one here */
  struct gh_identity *id = atomic_load_explicit(&((gh_principal *)p)->identity, memory_order_acquire);
  if (!id || id->mapping != mapping || strcmp(id->realm, realm) != 0) return NULL;
  return gh__identity_ref(id);
}

void gh__principal_keep_identity(gh_principal *p, struct gh_identity *id) {
  struct gh_identity *none = NULL;
  gh__identity_ref(id);
  if (!atomic_compare_exchange_strong_explicit(&p->identity, &none, id, memory_order_acq_rel, memory_order_acquire))
    gh_identity_free(id); /* another thread kept one first, or another realm's: keep that one */
}
