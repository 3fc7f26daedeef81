/* gh_gateway_decide_strings: a request handed over as one block of
 * NUL-terminated strings and its decision read back the same way, in one
 * call, for bindings (gatehouse/gateway.h). */
#include <stdbool.h>
#include <string.h>

#include "gatehouse/error.h"
#include "gatehouse/gateway.h"

size_t gh_decide_strings_max_headers(void) { return GH_DECIDE_STRINGS_MAX_HEADERS; }

/* The string at *at (up to its NUL) as (p, n); advances past the NUL. False at the block's end. */
static bool next_string(const char *block, size_t len, size_t *at, const char **p, size_t *n) {
  if (*at >= len) return false;
  const char *start = block + *at, *nul = memchr(start, '\0', len - *at);
  if (!nul) return false;
  *p = start;
  *n = (size_t)(nul - start);
  *at += *n + 1;
  return true;
}

/* Fills req and headers (room for cap) from the block, pointing into it. */
static int read_block(gh_request *req, gh_header *headers, size_t cap, const char *block, size_t len) {
  if (!block || len == 0 || block[len - 1] != '\0') return GH_EPARSE;
  const char *s[6];
  size_t n[6], at = 0;
  for (int i = 0; i < 6; i++)
    if (!next_string(block, len, &at, &s[i], &n[i])) return GH_EPARSE;
  if (n[3] && s[3][0] != '?') return GH_EPARSE;
  size_t count = 0;
  const char *name, *value;
  size_t name_len, value_len;
  while (next_string(block, len, &at, &name, &name_len)) {
    if (!next_string(block, len, &at, &value, &value_len)) return GH_EPARSE;
    if (count == cap) return GH_ETOOBIG;
    headers[count++] = (gh_header){name, value, name_len, value_len};
  }
  *req = (gh_request){.method = s[0],
                      .method_len = n[0],
                      .path = s[1],
                      .path_len = n[1],
                      .headers = count ? headers : NULL,
                      .n_headers = count};
  if (n[2]) req->host = s[2], req->host_len = n[2];
  if (n[3]) req->query = s[3] + 1, req->query_len = n[3] - 1; /* after its '?' */
  if (n[4]) req->client_ip = s[4], req->client_ip_len = n[4];
  if (n[5]) req->scheme = s[5], req->scheme_len = n[5];
  return GH_OK;
}

int gh_gateway_decide_strings(gh_gateway *gw, const char *block, size_t len, const char *body, size_t body_len,
                              int64_t now_ms, gh_decision *d, char *out, size_t cap, size_t *out_len) {
  if (!d || !out_len || (!out && cap)) return GH_EINVAL;
  gh_request req;
  gh_header headers[GH_DECIDE_STRINGS_MAX_HEADERS];
  int rc = read_block(&req, headers, GH_DECIDE_STRINGS_MAX_HEADERS, block, len);
  if (rc) {
    *out_len = 0;
    return rc;
  }
  req.body = body, req.body_len = body ? body_len : 0;
  rc = gh_gateway_decide(gw, &req, now_ms, d);
  int wrote = gh_decision_strings(d, out, cap, out_len);
  return rc ? rc : wrote;
}
