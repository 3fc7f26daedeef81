/* The request between the client and the upstream (request.h). */
#include "request.h"

#include <stdio.h>
#include <string.h>

int request_from_head(const head *h, gh_header *views, const char *method, const char *client_ip, gh_request *req,
                      const char **why) {
  const char *url = h->bytes.p + h->url;
  size_t url_len = h->url_len, scheme = 0;
  if (url_len >= 7 && !memcmp(url, "http://", 7))
    scheme = 7;
  else if (url_len >= 8 && !memcmp(url, "https://", 8))
    scheme = 8;
  if (scheme) { /* absolute form (RFC 9112 §3.2.2): the path starts after the authority */
    const char *slash = memchr(url + scheme, '/', url_len - scheme);
    size_t skip = slash ? (size_t)(slash - url) : url_len;
    url += skip, url_len -= skip;
  }
  if (!url_len || url[0] != '/') {
    *why = "the request target is not a path";
    return 400;
  }
  const char *q = memchr(url, '?', url_len);
  size_t host_len = 0;
  const char *host = head_find(h, "host", &host_len);
  head_views(h, views);
  *req = (gh_request){.method = method,
                      .method_len = strlen(method),
                      .path = url,
                      .path_len = q ? (size_t)(q - url) : url_len,
                      .query = q ? q + 1 : NULL,
                      .query_len = q ? url_len - (size_t)(q - url) - 1 : 0,
                      .host = host,
                      .host_len = host_len,
                      .headers = views,
                      .n_headers = h->n_fields,
                      .client_ip = client_ip,
                      .client_ip_len = strlen(client_ip),
                      .scheme = "http",
                      .scheme_len = 4};
  return 0;
}

void request_head_for_upstream(wbuf *out, const gh_decision *d, const head *client_head, const char *method,
                               const char *client_ip, const body_framing *body) {
  size_t path_len = 0, n = 0;
  const char *path = gh_decision_upstream_path(d, &path_len);
  const gh_header *h = gh_decision_upstream_headers(d, &n);
  wbuf_putf(out, "%s %.*s HTTP/1.1\r\n", method, (int)path_len, path);
  size_t connection_len = 0, xff_len = 0, host_len = 0; /* what the client said, before any transformation */
  const char *connection = head_find(client_head, "connection", &connection_len);
  const char *xff = head_find(client_head, "x-forwarded-for", &xff_len);
  const char *host = head_find(client_head, "host", &host_len);
  bool has_id = false;
  for (size_t i = 0; i < n; i++) {
    if (hop_by_hop(h[i].name, h[i].name_len, connection, connection_len) ||
        name_is(h[i].name, h[i].name_len, "content-length") || name_is(h[i].name, h[i].name_len, "expect") ||
        name_is(h[i].name, h[i].name_len, "x-forwarded-for") ||
        name_is(h[i].name, h[i].name_len, "x-forwarded-proto") ||
        name_is(h[i].name, h[i].name_len, "x-forwarded-host") || name_is(h[i].name, h[i].name_len, "forwarded"))
      continue;
    has_id |= name_is(h[i].name, h[i].name_len, "x-request-id");
    wbuf_put_field(out, h[i].name, h[i].name_len, h[i].value, h[i].value_len);
  }
  bool v6 = strchr(client_ip, ':') != NULL;
  if (xff)
    wbuf_putf(out, "X-Forwarded-For: %.*s, %s\r\n", (int)xff_len, xff, client_ip);
  else
    wbuf_putf(out, "X-Forwarded-For: %s\r\n", client_ip);
  wbuf_putf(out, "X-Forwarded-Proto: %s\r\n", body->proto);
  if (host) wbuf_putf(out, "X-Forwarded-Host: %.*s\r\n", (int)host_len, host);
  /* RFC 7239 §4: an IPv6 address is bracketed and quoted */
  wbuf_putf(out, v6 ? "Forwarded: for=\"[%s]\";proto=%s" : "Forwarded: for=%s;proto=%s", client_ip, body->proto);
  if (host) wbuf_putf(out, ";host=\"%.*s\"", (int)host_len, host);
  wbuf_puts(out, "\r\n");
  if (!has_id) wbuf_putf(out, "X-Request-Id: %s\r\n", gh_decision_request_id(d));
  if (body->websocket) { /* the handshake's own hop-by-hop fields, for this hop too (RFC 6455 §4.1) */
    size_t upgrade_len = 0;
    const char *upgrade = head_find(client_head, "upgrade", &upgrade_len);
    wbuf_putf(out, "Connection: Upgrade\r\nUpgrade: %.*s\r\n", (int)upgrade_len, upgrade);
  }
  if (body->chunked)
    wbuf_puts(out, "Transfer-Encoding: chunked\r\n");
  else if (body->has_length)
    wbuf_putf(out, "Content-Length: %llu\r\n", (unsigned long long)body->length);
  wbuf_puts(out, "\r\n");
}
