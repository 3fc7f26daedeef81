/* A request's credentials as a realm reads them, for the pipeline's
 * authenticate stage and for gh_gateway_authenticate: a host's own endpoints
 * (a developer portal's sign-in) authenticate callers exactly as a route of
 * the realm would, with its key sets, revocations and bindings. */
#include <string.h>
#include <strings.h>

#include "../core/core.h"
#include "gatehouse/error.h"
#include "pipeline.h"

const char *gh__request_header(const gh_request *q, const char *name, size_t *len) {
  size_t n = strlen(name);
  if (q->header) return q->header(q->header_ud, name, n, len);
  for (size_t i = 0; i < q->n_headers; i++)
    if (q->headers[i].name_len == n && strncasecmp(q->headers[i].name, name, n) == 0) {
      *len = q->headers[i].value_len;
      return q->headers[i].value;
    }
  return NULL;
}

void gh__realm_credentials(const gh__gw_realm *realm, const gh_request *q, const char *authorization,
                           size_t authorization_len, const char *dpop, size_t dpop_len, gh_auth_request *auth,
                           gh__buf *htu) {
  gh_auth_request_reset(auth);
  size_t len = 0;
  const char *v;
  if (authorization) gh_auth_request_set_authorization(auth, authorization, authorization_len);
  if (realm->api_key_header && (v = gh__request_header(q, realm->api_key_header, &len)))
    gh_auth_request_set_api_key(auth, v, len);
  if (q->client_cert_sha256) gh_auth_request_set_client_cert_sha256(auth, q->client_cert_sha256);
  if (dpop && realm->dpop) { /* RFC 9449 §4.3: htu is the request's URI without query and fragment */
    htu->len = 0;
    gh__buf_put(htu, q->scheme ? q->scheme : "https", q->scheme ? q->scheme_len : 5);
    gh__buf_put(htu, "://", 3);
    gh__buf_put(htu, q->host ? q->host : "", q->host ? q->host_len : 0);
    gh__buf_put(htu, q->path, q->path_len);
    if (!htu->failed) gh_auth_request_set_dpop(auth, dpop, dpop_len, q->method, q->method_len, htu->p, htu->len);
  }
}

int gh_gateway_authenticate(gh_gateway *gw, const char *realm, const gh_request *q, int64_t now_ms, gh_identity **out,
                            int *reason, char *challenge, size_t challenge_cap) {
  if (out) *out = NULL;
  if (reason) *reason = 0;
  if (challenge && challenge_cap) challenge[0] = 0;
  if (!gw || !realm || !q || !out || !reason || !q->method || !q->path || (!q->headers && q->n_headers) ||
      !gh__time_ok(now_ms))
    return GH_EINVAL;
  if (!gh__gateway_loaded(gw)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  const gh__gw_realm *r = NULL;
  for (size_t i = 0; i < s->n_realms && !r; i++)
    if (s->realms[i].name && strcmp(s->realms[i].name, realm) == 0) r = &s->realms[i];
  int rc = GH_ENOTFOUND;
  gh_auth_request *auth = NULL;
  gh__buf htu = {0};
  if (r && !(rc = gh_auth_request_new(&auth))) {
    size_t alen = 0, dlen = 0;
    const char *authorization = gh__request_header(q, "Authorization", &alen);
    const char *dpop = gh__request_header(q, "DPoP", &dlen);
    gh__realm_credentials(r, q, authorization, alen, dpop, dlen, auth, &htu);
    char none[1];
    rc = gh_realm_authenticate(r->realm, auth, now_ms, out, reason, challenge_cap ? challenge : none,
                               challenge_cap ? challenge_cap : sizeof none);
  }
  gh_auth_request_free(auth);
  gh__buf_free(&htu);
  gh__gateway_release(gw, s);
  return rc;
}
