/* Bytes on the wire: a growable output buffer, writes that own their bytes,
 * and the header rules of a proxy (RFC 9110 §7.6.1 hop-by-hop fields). */
#ifndef GH_SERVER_WIRE_H
#define GH_SERVER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gatehouse.h"

typedef struct wbuf {
  char *p;
  size_t len, cap;
  bool failed;
} wbuf;

void wbuf_put(wbuf *b, const void *p, size_t n);
void wbuf_puts(wbuf *b, const char *s);
void wbuf_putf(wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wbuf_free(wbuf *b);
/* One header field line: "name: value\r\n". */
void wbuf_put_field(wbuf *b, const char *name, size_t name_len, const char *value, size_t value_len);
/* The decision's response headers (Deprecation, Sunset, RateLimit, a denial's own), each as a field line. */
void wbuf_put_decision_headers(wbuf *b, const gh_decision *d);

/* Writes what the socket takes now, when nothing waits before it (uv_try_write: no
 * request, no callback, and no poll change for the write's end, which a
 * queued write costs). True when all went; else bufs are advanced past what did. */
bool write_now(uv_stream_t *s, uv_buf_t *bufs, unsigned count);
/* Writes the buffer's bytes (taking them: b is emptied); done(stream, status) after, may be NULL. 0 or a libuv error.
 */
typedef void (*sent_fn)(uv_stream_t *s, int status);
int send_buf(uv_stream_t *s, wbuf *b, sent_fn done);

/* A libuv allocation callback: a fresh malloc'd buffer per read, freed by the reader. */
void alloc_malloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
/* Is this field hop-by-hop: one of RFC 9110 §7.6.1's, or named by the message's Connection field? */
bool hop_by_hop(const char *name, size_t len, const char *connection, size_t connection_len);
/* Case-insensitive equality of a slice and a C string. */
bool name_is(const char *name, size_t len, const char *want);
/* A whole response with a body (Content-Length); extra is more header lines ("Name: value\r\n"...) or NULL. */
void put_response(wbuf *b, int status, const char *content_type, const char *body, size_t body_len, bool keep_alive,
                  const char *extra);

#endif
