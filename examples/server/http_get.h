/* One HTTP/1.1 GET on a libuv loop, for the documents the server fetches
 * itself (key sets, OpenID Connect discovery): the host resolved, a
 * connection, TLS when the URL is https (the certificate checked against a
 * CA bundle and the host name), the answer read strictly by llhttp with its
 * body capped, all within a deadline. No redirect is followed: a 3xx is an
 * answer like any other. */
#ifndef GH_SERVER_HTTP_GET_H
#define GH_SERVER_HTTP_GET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls.h"

/* Called once: status (0 when there is no answer: error says why) and the body (valid during the call). */
typedef void (*http_get_done)(void *ud, int status, const char *body, size_t len, const char *error);

/* Starts the GET of url ("http://host[:port]/path" or "https://..."; tls is
 * the client configuration https needs). 0, or -1 when url is not such a URL
 * (done is not called). */
int http_get(uv_loop_t *loop, const char *url, tls_config *tls, size_t max_bytes, uint64_t timeout_ms,
             http_get_done done, void *ud);

#endif
