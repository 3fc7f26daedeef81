/* One HTTP/1.1 request on a libuv loop, for what the server asks of others
 * itself (key sets, OpenID Connect discovery, token introspection): the host resolved, a
 * connection, TLS when the URL is https (the certificate checked against a
 * CA bundle and the host name), the answer read strictly by llhttp with its
 * body capped, all within a deadline. No redirect is followed: a 3xx is an
 * answer like any other. */
#ifndef GH_SERVER_HTTP_CLIENT_H
#define GH_SERVER_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls.h"

/* Called once: status (0 when there is no answer: error says why) and the body (valid during the call). */
typedef void (*http_done)(void *ud, int status, const char *body, size_t len, const char *error);

typedef struct http_request {
  const char *method;       /* "GET", "POST" */
  const char *url;          /* "http://host[:port]/path" or "https://..." */
  const char *fields;       /* more header lines ("Name: value\r\n"...), or NULL */
  const char *body;         /* sent with its Content-Length, or NULL */
  size_t body_len;
  tls_config *tls;          /* the client configuration https needs */
  size_t max_bytes;         /* a larger answer's body is refused */
  uint64_t timeout_ms;      /* the whole exchange */
} http_request;

/* Starts the request. 0, or -1 when its URL is not such a URL (done is not called). */
int http_send(uv_loop_t *loop, const http_request *r, http_done done, void *ud);

#endif
