/* One request's credentials, as the host found them. */
#include <string.h>

#include "../core/core.h"
#include "realm_internal.h"

int gh_auth_request_new(gh_auth_request **out) {
  if (!out) return GH_EINVAL;
  *out = gh__calloc(1, sizeof **out);
  return *out ? GH_OK : GH_ENOMEM;
}

void gh_auth_request_reset(gh_auth_request *q) {
  if (!q) return;
  gh__free_secret(q->authorization, q->authorization_len);
  gh__free_secret(q->api_key, q->api_key_len);
  gh__free(q->dpop);
  gh__free(q->method);
  gh__free(q->uri);
  memset(q, 0, sizeof *q);
}

void gh_auth_request_free(gh_auth_request *q) {
  gh_auth_request_reset(q);
  gh__free(q);
}

static int set(char **field, size_t *len, const char *s, size_t n) {
  if (!s) return GH_EINVAL;
  char *copy = gh__strndup(s, n);
  if (!copy) return GH_ENOMEM;
  if (*field) gh__free_secret(*field, *len);
  *field = copy;
  *len = n;
  return GH_OK;
}

int gh_auth_request_set_authorization(gh_auth_request *q, const char *value, size_t len) {
  return q ? set(&q->authorization, &q->authorization_len, value, len) : GH_EINVAL;
}

int gh_auth_request_set_api_key(gh_auth_request *q, const char *key, size_t len) {
  return q ? set(&q->api_key, &q->api_key_len, key, len) : GH_EINVAL;
}

int gh_auth_request_set_dpop(gh_auth_request *q, const char *proof, size_t len, const char *method, size_t method_len,
                             const char *uri, size_t uri_len) {
  if (!q) return GH_EINVAL;
  int rc = set(&q->dpop, &q->dpop_len, proof, len);
  if (!rc) rc = set(&q->method, &q->method_len, method, method_len);
  if (!rc) rc = set(&q->uri, &q->uri_len, uri, uri_len);
  return rc;
}

int gh_auth_request_set_client_cert_sha256(gh_auth_request *q, const unsigned char *hash) {
  if (!q || !hash) return GH_EINVAL;
  memcpy(q->cert_sha256, hash, 32);
  q->has_cert = true;
  return GH_OK;
}
