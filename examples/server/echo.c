/* The demo upstream: an HTTP/1.1 echo service (keep-alive, any method) that
 * answers each request with a JSON description of what it received: method,
 * path, headers and the body's length. It lets `make run` show a whole proxy
 * round trip with nothing else running. Two query parameters shape the
 * answer, for tests: bytes=N answers N bytes instead (streamed in chunks),
 * delay_ms=N answers N milliseconds later. */
#include "echo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

typedef struct echo_conn {
  uv_tcp_t tcp;
  uv_timer_t delay;
  int open_handles;
  llhttp_t parser;
  wbuf answer;       /* waiting for its delay */
  wbuf url, headers; /* headers as a JSON object's members */
  bool in_value;
  uint64_t body;
} echo_conn;

static void on_closed(uv_handle_t *h) {
  echo_conn *e = h->data;
  if (--e->open_handles) return;
  wbuf_free(&e->url);
  wbuf_free(&e->headers);
  wbuf_free(&e->answer);
  free(e);
}

static void close_conn(echo_conn *e) {
  if (uv_is_closing((uv_handle_t *)&e->tcp)) return;
  uv_close((uv_handle_t *)&e->tcp, on_closed);
  uv_close((uv_handle_t *)&e->delay, on_closed);
}

static void on_delay(uv_timer_t *t) {
  echo_conn *e = t->data;
  send_buf((uv_stream_t *)&e->tcp, &e->answer, NULL);
}

/* A query parameter's number (name=N), or -1. */
static long long query_number(const wbuf *url, const char *name) {
  const char *q = url->p ? memchr(url->p, '?', url->len) : NULL;
  size_t n = strlen(name);
  for (const char *p = q; p && p < url->p + url->len; p = memchr(p + 1, '&', (size_t)(url->p + url->len - p - 1))) {
    if ((size_t)(url->p + url->len - (p + 1)) > n && !strncmp(p + 1, name, n) && p[1 + n] == '=')
      return strtoll(p + 2 + n, NULL, 10);
    if (p + 1 >= url->p + url->len) break;
  }
  return -1;
}

static void json_chars(wbuf *b, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (ch == '"' || ch == '\\')
      wbuf_putf(b, "\\%c", ch);
    else if (ch < 0x20)
      wbuf_putf(b, "\\u%04x", ch);
    else
      wbuf_put(b, &p[i], 1);
  }
}

static int on_begin(llhttp_t *p) {
  echo_conn *e = p->data;
  e->url.len = e->headers.len = 0;
  e->body = 0;
  e->in_value = true;
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n) {
  json_chars(&((echo_conn *)p->data)->url, at, n);
  return 0;
}

static int on_field(llhttp_t *p, const char *at, size_t n) {
  echo_conn *e = p->data;
  if (e->in_value) wbuf_puts(&e->headers, e->headers.len ? "\",\"" : "\"");
  e->in_value = false;
  json_chars(&e->headers, at, n);
  return 0;
}

static int on_value(llhttp_t *p, const char *at, size_t n) {
  echo_conn *e = p->data;
  if (!e->in_value) wbuf_puts(&e->headers, "\":\"");
  e->in_value = true;
  json_chars(&e->headers, at, n);
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n) {
  (void)at;
  ((echo_conn *)p->data)->body += n;
  return 0;
}

static int on_complete(llhttp_t *p) {
  echo_conn *e = p->data;
  bool head = llhttp_get_method(p) == HTTP_HEAD, keep = llhttp_should_keep_alive(p);
  long long bytes = query_number(&e->url, "bytes"), delay = query_number(&e->url, "delay_ms");
  wbuf out = {0};
  if (bytes >= 0 && bytes <= (64ll << 20)) { /* chunked, 64 KiB at a time */
    wbuf_puts(&out, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n");
    wbuf_puts(&out, keep ? "\r\n" : "Connection: close\r\n\r\n");
    static char fill[65536];
    if (!fill[0]) memset(fill, 'x', sizeof fill);
    for (long long left = head ? 0 : bytes; left > 0; left -= 65536) {
      size_t n = left < 65536 ? (size_t)left : 65536;
      wbuf_putf(&out, "%zx\r\n", n);
      wbuf_put(&out, fill, n);
      wbuf_puts(&out, "\r\n");
    }
    if (!head) wbuf_puts(&out, "0\r\n\r\n");
    send_buf((uv_stream_t *)&e->tcp, &out, NULL);
    return 0;
  }
  wbuf body = {0};
  wbuf_putf(&body, "{\"service\":\"echo\",\"method\":\"%s\",\"url\":\"",
            llhttp_method_name((llhttp_method_t)llhttp_get_method(p)));
  wbuf_put(&body, e->url.p, e->url.len);
  wbuf_puts(&body, "\",\"headers\":{");
  wbuf_put(&body, e->headers.p, e->headers.len);
  wbuf_putf(&body, "%s},\"body_bytes\":%llu}\n", e->headers.len ? "\"" : "", (unsigned long long)e->body);
  put_response(&out, 200, "application/json", body.p, head ? 0 : body.len, keep, NULL);
  wbuf_free(&body);
  if (delay > 0) {
    wbuf_free(&e->answer);
    e->answer = out;
    uv_timer_start(&e->delay, on_delay, (uint64_t)delay, 0);
    return 0;
  }
  send_buf((uv_stream_t *)&e->tcp, &out, NULL);
  return 0;
}

static const llhttp_settings_t *settings(void) {
  /* constant, shared by every worker thread */
  static const llhttp_settings_t s = {.on_message_begin = on_begin,
                                      .on_url = on_url,
                                      .on_header_field = on_field,
                                      .on_header_value = on_value,
                                      .on_body = on_body,
                                      .on_message_complete = on_complete};
  return &s;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  echo_conn *e = s->data;
  if (nread > 0 && llhttp_execute(&e->parser, buf->base, (size_t)nread) != HPE_OK) nread = UV_EOF;
  free(buf->base);
  if (nread < 0) close_conn(e);
}

static void on_connection(uv_stream_t *listener, int status) {
  if (status < 0) return;
  echo_conn *e = calloc(1, sizeof *e);
  if (!e) return;
  uv_tcp_init(listener->loop, &e->tcp);
  uv_timer_init(listener->loop, &e->delay);
  e->tcp.data = e->delay.data = e;
  e->open_handles = 2;
  if (uv_accept(listener, (uv_stream_t *)&e->tcp)) {
    close_conn(e);
    return;
  }
  llhttp_init(&e->parser, HTTP_REQUEST, settings());
  e->parser.data = e;
  uv_read_start((uv_stream_t *)&e->tcp, alloc_malloc, on_read);
}

int echo_listen(uv_loop_t *loop, uv_tcp_t *listener, const char *host, int port, int *bound_port) {
  struct sockaddr_in addr;
  int rc = uv_ip4_addr(host, port, &addr);
  if (!rc) rc = uv_tcp_init(loop, listener);
  if (!rc) rc = uv_tcp_bind(listener, (struct sockaddr *)&addr, 0);
  if (!rc) rc = uv_listen((uv_stream_t *)listener, 256, on_connection);
  struct sockaddr_in got;
  int len = sizeof got;
  if (!rc) rc = uv_tcp_getsockname(listener, (struct sockaddr *)&got, &len);
  if (!rc) *bound_port = ntohs(got.sin_port);
  return rc;
}
