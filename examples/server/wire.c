#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse.h"

void wbuf_put(wbuf *b, const void *p, size_t n) {
  if (b->failed) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->failed = true;
      return;
    }
    b->p = q, b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, p, n);
  b->len += n;
}

void wbuf_puts(wbuf *b, const char *s) { wbuf_put(b, s, strlen(s)); }

void wbuf_putf(wbuf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    wbuf_put(b, tmp, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->failed = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  wbuf_put(b, big, (size_t)n);
  free(big);
}

void wbuf_put_field(wbuf *b, const char *name, size_t name_len, const char *value, size_t value_len) {
  wbuf_put(b, name, name_len);
  wbuf_puts(b, ": ");
  wbuf_put(b, value, value_len);
  wbuf_puts(b, "\r\n");
}

void wbuf_put_decision_headers(wbuf *b, const gh_decision *d) {
  for (size_t i = 0; i < gh_decision_header_count(d); i++) {
    const gh_header *h = gh_decision_header(d, i);
    wbuf_put_field(b, h->name, h->name_len, h->value, h->value_len);
  }
}

void wbuf_free(wbuf *b) {
  free(b->p);
  *b = (wbuf){0};
}

typedef struct owned_write {
  uv_write_t req;
  sent_fn done;
  char *bytes;
} owned_write;

static void on_written(uv_write_t *req, int status) {
  owned_write *w = (owned_write *)req;
  sent_fn done = w->done;
  uv_stream_t *s = req->handle;
  free(w->bytes);
  free(w);
  if (done) done(s, status);
}

bool write_now(uv_stream_t *s, uv_buf_t *bufs, unsigned count) {
  size_t total = 0;
  for (unsigned i = 0; i < count; i++) total += bufs[i].len;
  int n = total ? uv_try_write(s, bufs, count) : 0; /* UV_EAGAIN while earlier writes wait: order is kept */
  if (n < 0) return total == 0; /* an error shows itself through the queued write that follows */
  if ((size_t)n == total) return true;
  for (unsigned i = 0; i < count; i++) { /* what is left, for uv_write */
    size_t k = (size_t)n < bufs[i].len ? (size_t)n : bufs[i].len;
    bufs[i].base += k, bufs[i].len -= k, n -= (int)k;
  }
  return false;
}

int send_buf(uv_stream_t *s, wbuf *b, sent_fn done) {
  if (b->failed) {
    wbuf_free(b);
    return UV_ENOMEM;
  }
  uv_buf_t buf = uv_buf_init(b->p ? b->p : "", (unsigned)b->len);
  if (write_now(s, &buf, 1)) { /* all of it went: no request, no callback (done is for what waited) */
    wbuf_free(b);
    return 0;
  }
  owned_write *w = malloc(sizeof *w);
  if (!w) {
    wbuf_free(b);
    return UV_ENOMEM;
  }
  w->done = done;
  w->bytes = b->p;
  *b = (wbuf){0};
  int rc = uv_write(&w->req, s, &buf, 1, on_written);
  if (rc) {
    free(w->bytes);
    free(w);
  }
  return rc;
}

void alloc_malloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

bool name_is(const char *name, size_t len, const char *want) {
  return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

bool hop_by_hop(const char *name, size_t len, const char *connection, size_t connection_len) {
  static const char *const fields[] = {"connection",
                                       "keep-alive",
                                       "proxy-connection",
                                       "proxy-authenticate",
                                       "proxy-authorization",
                                       "te",
                                       "trailer",
                                       "transfer-encoding",
                                       "upgrade",
                                       NULL};
  for (size_t i = 0; fields[i]; i++)
    if (name_is(name, len, fields[i])) return true;
  /* the options the Connection field names (RFC 9110 §7.6.1) */
  for (size_t i = 0; i < connection_len;) {
    while (i < connection_len && (connection[i] == ' ' || connection[i] == ',' || connection[i] == '\t')) i++;
    size_t start = i;
    while (i < connection_len && connection[i] != ',' && connection[i] != ' ' && connection[i] != '\t') i++;
    if (i > start && i - start == len && strncasecmp(connection + start, name, len) == 0) return true;
  }
  return false;
}

void put_response(wbuf *b, int status, const char *content_type, const char *body, size_t body_len, bool keep_alive,
                  const char *extra) {
  wbuf_putf(b, "HTTP/1.1 %d %s\r\n", status, gh_http_status_text(status));
  if (content_type && body_len) wbuf_putf(b, "Content-Type: %s\r\n", content_type);
  wbuf_putf(b, "Content-Length: %zu\r\n", body_len);
  if (!keep_alive) wbuf_puts(b, "Connection: close\r\n");
  if (extra) wbuf_puts(b, extra);
  wbuf_puts(b, "\r\n");
  wbuf_put(b, body, body_len);
}
