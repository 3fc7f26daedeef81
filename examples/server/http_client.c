/* One request (http_client.h): resolve → connect → (TLS) → request → answer. */
#include "http_client.h"

#include <llhttp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "wire.h"

typedef struct fetch {
  uv_loop_t *loop;
  uv_getaddrinfo_t resolve;
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_timer_t timer;
  struct addrinfo *addresses, *next_address; /* tried in turn until one connects */
  int open_handles;
  bool tcp_open, done_called;
  tls_conn tls;
  bool https, tls_open;
  char host[256], port[8];
  wbuf request, body, plain;
  size_t max_bytes;
  llhttp_t parser;
  llhttp_settings_t settings;
  bool complete;
  http_done done;
  void *ud;
} fetch;

/* One of the fetch's handles (or its resolution) is over; the last one frees it. */
static void release(fetch *f) {
  if (--f->open_handles) return;
  if (f->tls_open) tls_conn_free(&f->tls);
  if (f->addresses) uv_freeaddrinfo(f->addresses);
  wbuf_free(&f->request), wbuf_free(&f->body), wbuf_free(&f->plain);
  free(f);
}

static void on_closed(uv_handle_t *h) { release(h->data); }

/* Calls done once, then lets the handles go. */
static void finish(fetch *f, int status, const char *error) {
  if (f->done_called) return;
  f->done_called = true;
  f->done(f->ud, status, f->body.p, f->body.len, error);
  uv_timer_stop(&f->timer);
  uv_close((uv_handle_t *)&f->timer, on_closed);
  if (f->tcp_open) uv_close((uv_handle_t *)&f->tcp, on_closed);
}

static void fail(fetch *f, const char *what, const char *why) {
  char error[400];
  snprintf(error, sizeof error, "%s: %s", what, why);
  finish(f, 0, error);
}

static void on_timeout(uv_timer_t *t) { fail(t->data, "no whole answer in time", "the deadline passed"); }

/* ---- the answer ---- */

static int on_body(llhttp_t *p, const char *at, size_t n) {
  fetch *f = p->data;
  if (f->body.len + n > f->max_bytes) return HPE_USER;
  wbuf_put(&f->body, at, n);
  return f->body.failed ? HPE_USER : HPE_OK;
}

static int on_message_complete(llhttp_t *p) {
  ((fetch *)p->data)->complete = true;
  return HPE_PAUSED;
}

static void parse(fetch *f, const char *p, size_t n, bool eof) {
  llhttp_errno_t err = n ? llhttp_execute(&f->parser, p, n) : HPE_OK;
  if (eof && err == HPE_OK) err = llhttp_finish(&f->parser); /* an answer that ends when the connection does */
  if (f->complete) {
    finish(f, llhttp_get_status_code(&f->parser), NULL);
  } else if (err == HPE_USER) {
    char why[64];
    snprintf(why, sizeof why, "more than %zu bytes", f->max_bytes);
    fail(f, "the answer is too large", why);
  } else if (err != HPE_OK) {
    fail(f, "the answer is not HTTP", llhttp_errno_name(err));
  } else if (eof) {
    fail(f, "the connection closed", "before a whole answer");
  }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  fetch *f = s->data;
  if (nread > 0 && !f->done_called) {
    if (!f->https) {
      parse(f, buf->base, (size_t)nread, false);
    } else {
      f->plain.len = 0;
      int rc = tls_conn_receive(&f->tls, buf->base, (size_t)nread, &f->plain);
      wbuf out = tls_conn_take_output(&f->tls); /* handshake replies */
      if (out.len) send_buf(s, &out, NULL);
      wbuf_free(&out);
      if (rc < 0) {
        char why[300];
        tls_conn_error(&f->tls, why, sizeof why);
        fail(f, "TLS failed", why);
      } else {
        if (f->tls.ready && f->request.len) { /* the handshake is done: the request goes */
          tls_conn_send(&f->tls, f->request.p, f->request.len);
          f->request.len = 0;
          wbuf req = tls_conn_take_output(&f->tls);
          send_buf(s, &req, NULL);
          wbuf_free(&req);
        }
        parse(f, f->plain.p, f->plain.len, rc == 1);
      }
    }
  } else if (nread < 0 && !f->done_called) {
    if (nread == UV_EOF)
      parse(f, NULL, 0, true);
    else
      fail(f, "reading failed", uv_strerror((int)nread));
  }
  free(buf->base);
}

/* ---- the way there ---- */

static void connect_next(fetch *f);

static void on_failed_tcp_closed(uv_handle_t *h) {
  fetch *f = h->data;
  if (f->done_called) { /* the deadline passed meanwhile */
    release(f);
    return;
  }
  f->open_handles--; /* never the last: the timer runs */
  connect_next(f);
}

static void on_connect(uv_connect_t *req, int status) {
  fetch *f = req->data;
  if (f->done_called) return;
  if (status && f->next_address) { /* another address of the host may answer */
    f->tcp_open = false;
    uv_close((uv_handle_t *)&f->tcp, on_failed_tcp_closed);
    return;
  }
  if (status) {
    fail(f, "cannot connect", uv_strerror(status));
    return;
  }
  uv_read_start((uv_stream_t *)&f->tcp, alloc_malloc, on_read);
  if (f->https) {
    wbuf hello = tls_conn_take_output(&f->tls);
    send_buf((uv_stream_t *)&f->tcp, &hello, NULL);
    wbuf_free(&hello);
  } else {
    send_buf((uv_stream_t *)&f->tcp, &f->request, NULL);
  }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai) {
  fetch *f = req->data;
  if (f->done_called) { /* timed out while resolving: the timer is closed or closing */
    uv_freeaddrinfo(ai);
    release(f);
    return;
  }
  f->open_handles--; /* the resolution is over (never the last: the timer runs) */
  if (status) {
    uv_freeaddrinfo(ai);
    fail(f, "cannot resolve the host", uv_strerror(status));
    return;
  }
  f->addresses = f->next_address = ai;
  connect_next(f);
}

static void connect_next(fetch *f) {
  if (f->done_called) return;
  struct addrinfo *ai = f->next_address;
  f->next_address = ai->ai_next;
  uv_tcp_init(f->loop, &f->tcp);
  f->tcp.data = f;
  f->tcp_open = true;
  f->open_handles++;
  f->connect.data = f;
  int rc = uv_tcp_connect(&f->connect, &f->tcp, ai->ai_addr, on_connect);
  if (rc) fail(f, "cannot connect", uv_strerror(rc));
}

int http_send(uv_loop_t *loop, const http_request *r, http_done done, void *ud) {
  url_parts url;
  tls_config *tls = r->tls;
  if (!url_split(r->url, &url) || (url.https && !tls)) return -1;
  fetch *f = calloc(1, sizeof *f);
  if (!f) return -1;
  f->https = url.https;
  snprintf(f->host, sizeof f->host, "%s", url.host);
  snprintf(f->port, sizeof f->port, "%d", url.port);
  f->loop = loop, f->max_bytes = r->max_bytes, f->done = done, f->ud = ud;
  wbuf_putf(&f->request,
            "%s %s HTTP/1.1\r\nHost: %.*s\r\nAccept: application/json, application/jwk-set+json\r\n"
            "User-Agent: gatehouse-server\r\nConnection: close\r\n",
            r->method, url.path, url.authority_len, url.authority);
  if (r->fields) wbuf_puts(&f->request, r->fields);
  if (r->body) wbuf_putf(&f->request, "Content-Length: %zu\r\n", r->body_len);
  wbuf_puts(&f->request, "\r\n");
  if (r->body) wbuf_put(&f->request, r->body, r->body_len);
  llhttp_settings_init(&f->settings);
  f->settings.on_body = on_body;
  f->settings.on_message_complete = on_message_complete;
  llhttp_init(&f->parser, HTTP_RESPONSE, &f->settings);
  f->parser.data = f;
  if (f->https) {
    if (tls_conn_init_client(&f->tls, tls, f->host)) {
      tls_conn_free(&f->tls);
      wbuf_free(&f->request);
      free(f);
      return -1;
    }
    f->tls_open = true;
  }
  uv_timer_init(loop, &f->timer);
  f->timer.data = f;
  uv_timer_start(&f->timer, on_timeout, r->timeout_ms, 0);
  f->resolve.data = f;
  f->open_handles = 2; /* the timer, and the resolution until it answers */
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  int rc = uv_getaddrinfo(loop, &f->resolve, on_resolved, f->host, f->port, &hints);
  if (rc) {
    f->open_handles = 1;
    fail(f, "cannot resolve the host", uv_strerror(rc));
  }
  return 0;
}
