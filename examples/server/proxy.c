/* The upstream side of a forwarded request: a keep-alive connection to the
 * decision's target (from the worker's pool, or new), the request head
 * rewritten for the upstream (hop-by-hop fields dropped, Forwarded and
 * X-Forwarded-* added, the request id passed on), the body streamed as it
 * arrives, and the response streamed back to the client with the
 * decision's response headers added. Either side slower than the other
 * stops the faster one's reading (backpressure) instead of buffering.
 * https:// targets are reached over TLS (tls.h, the client side): the
 * plaintext goes through the same path as a plain connection's bytes. */
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "request.h"
#include "url.h"

#define HIGH_WATER (1u << 20) /* bytes queued toward a peer before its source stops reading */
#define LOW_WATER (256u << 10)
#define MAX_IDLE 64 /* idle upstream connections kept per worker */
#define READ_SIZE 65536

#define MAX_SPARE_READS 32 /* read buffers a worker keeps between reads */

/* What one read from an upstream brought: its body slices are written to the
 * client straight from here, and it goes back to its worker's spares when
 * the last such write is done. */
typedef struct read_buf {
  int refs;
  upstream_pool *home;
  struct read_buf *next_spare;
  char data[READ_SIZE];
} read_buf;

static read_buf *read_buf_of(const char *data) { return (read_buf *)(void *)(data - offsetof(read_buf, data)); }

typedef struct slice_write {
  uv_write_t req;
  read_buf *from;
  char *head;     /* the response's head, written with its first body slice (one write, not two) */
  char frame[24]; /* a chunk's size line */
} slice_write;

struct upstream_conn {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_timer_t connect_timer; /* --connect-timeout: a target that does not accept in time is unreachable */
  int open_handles;         /* freed when the tcp and the timer are both closed */
  worker *w;
  client *c;     /* NULL: idle in the pool, or abandoned */
  char key[300]; /* "http://host:port" or "https://host:port": what a pooled connection is for */
  char host[256];
  tls_conn *tls; /* an https target's session (NULL: plain) */
  bool connected, closing, response_started, chunked_to_client, no_body, source_paused;
  bool upgraded; /* answered 101 to a WebSocket handshake: a tunnel from the end of that head on */
  bool reused;   /* taken from the pool for this exchange: the upstream may have closed it meanwhile */
  wbuf head_out; /* the response's head, held to go out with the first body slice in one write */
  ws_frames from_upstream;
  int done_status;     /* the response is complete (set inside the parser; acted on after it returns) */
  const char *reading; /* the read being parsed (a read_buf's data) */
  wbuf out;            /* request bytes waiting for the connection */
  llhttp_t parser;
  head head; /* the response's fields */
  upstream_conn *next_idle;
};

struct upstream_pool {
  upstream_conn *idle;
  size_t n_idle;
  read_buf *spare_reads; /* freed read buffers, for the next reads (a 64 KiB malloc each read costs) */
  size_t n_spare_reads;
};

static void read_buf_unref(read_buf *r) {
  if (!r || --r->refs) return;
  upstream_pool *p = r->home;
  if (p->n_spare_reads < MAX_SPARE_READS) {
    r->next_spare = p->spare_reads;
    p->spare_reads = r;
    p->n_spare_reads++;
  } else {
    free(r);
  }
}

upstream_pool *upstream_pool_new(void) { return calloc(1, sizeof(upstream_pool)); }

static void on_conn_closed(uv_handle_t *h) {
  upstream_conn *u = h->data;
  if (--u->open_handles) return;
  wbuf_free(&u->out);
  wbuf_free(&u->head_out);
  wbuf_free(&u->head.bytes);
  if (u->tls) tls_conn_free(u->tls);
  free(u->tls);
  free(u);
}

static void conn_close(upstream_conn *u) {
  if (u->closing) return;
  u->closing = true;
  u->c = NULL;
  uv_close((uv_handle_t *)&u->tcp, on_conn_closed);
  uv_close((uv_handle_t *)&u->connect_timer, on_conn_closed);
}

static void pool_remove(upstream_pool *p, upstream_conn *u) {
  for (upstream_conn **at = &p->idle; *at; at = &(*at)->next_idle)
    if (*at == u) {
      *at = u->next_idle;
      p->n_idle--;
      return;
    }
}

void upstream_pool_close(upstream_pool *p) {
  if (!p) return;
  while (p->idle) {
    upstream_conn *u = p->idle;
    p->idle = u->next_idle;
    conn_close(u);
  }
  while (p->spare_reads) {
    read_buf *r = p->spare_reads;
    p->spare_reads = r->next_spare;
    free(r);
  }
  free(p);
}

/* ---- the response ---- */

static void on_client_drained(uv_stream_t *s, int status);

static void to_client(upstream_conn *u, wbuf *b) {
  client *c = u->c;
  c->bytes_out += b->len;
  client_send(c, b, on_client_drained);
  if (client_queued(c) > HIGH_WATER && !u->source_paused) { /* the client reads slower than the upstream sends */
    uv_read_stop((uv_stream_t *)&u->tcp);
    u->source_paused = true;
  }
}

static int on_resp_begin(llhttp_t *p) {
  head_reset(&((upstream_conn *)p->data)->head);
  return HPE_OK;
}

static int on_resp_field(llhttp_t *p, const char *at, size_t n) {
  return head_field_name(&((upstream_conn *)p->data)->head, at, n);
}

static int on_resp_value(llhttp_t *p, const char *at, size_t n) {
  return head_field_value(&((upstream_conn *)p->data)->head, at, n);
}

/* The upstream's response fields that go on to the client: all but the hop-by-hop ones. */
static void put_end_to_end_fields(wbuf *out, const head *h, const char *connection, size_t connection_len) {
  for (size_t i = 0; i < h->n_fields; i++) {
    const field *f = &h->fields[i];
    const char *base = h->bytes.p;
    if (!hop_by_hop(base + f->name, f->name_len, connection, connection_len))
      wbuf_put_field(out, base + f->name, f->name_len, base + f->value, f->value_len);
  }
}

/* The upstream accepted the WebSocket: its 101 goes to the client with the
 * fields that make it one (Connection and Upgrade are hop-by-hop elsewhere). */
static void relay_switching_protocols(upstream_conn *u) {
  client *c = u->c;
  size_t upgrade_len = 0;
  const char *upgrade = head_find(&u->head, "upgrade", &upgrade_len);
  wbuf out = {0};
  wbuf_puts(&out, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n");
  wbuf_putf(&out, "Upgrade: %.*s\r\n", (int)upgrade_len, upgrade ? upgrade : "websocket");
  put_end_to_end_fields(&out, &u->head, NULL, 0); /* Sec-WebSocket-Accept, -Protocol, -Extensions, ... */
  wbuf_putf(&out, "X-Request-Id: %s\r\n\r\n", gh_decision_request_id(c->d));
  u->upgraded = u->response_started = c->response_started = true;
  to_client(u, &out);
}

static int on_resp_headers(llhttp_t *p) {
  upstream_conn *u = p->data;
  client *c = u->c;
  int status = llhttp_get_status_code(p);
  if (status == 101 && c->websocket) {
    relay_switching_protocols(u);
    return HPE_OK;
  }
  if (status < 200) return HPE_OK; /* interim (we sent no Expect): dropped */
  size_t connection_len = 0;
  const char *connection = head_find(&u->head, "connection", &connection_len);
  wbuf out = {0};
  wbuf_putf(&out, "HTTP/1.1 %d %s\r\n", status, gh_http_status_text(status));
  put_end_to_end_fields(&out, &u->head, connection, connection_len);
  wbuf_put_decision_headers(&out, c->d); /* Deprecation, Sunset, RateLimit, ... */
  u->no_body = c->head_request || status == 204 || status == 304;
  bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
  if (!u->no_body && !has_length) { /* chunked or read to the end: chunked to an HTTP/1.1 client */
    if (c->http10)
      c->keep_alive = false;
    else
      u->chunked_to_client = true, wbuf_puts(&out, "Transfer-Encoding: chunked\r\n");
  }
  if (!c->keep_alive) wbuf_puts(&out, "Connection: close\r\n");
  wbuf_putf(&out, "X-Request-Id: %s\r\n\r\n", gh_decision_request_id(c->d));
  u->response_started = c->response_started = true;
  if (u->no_body || c->tls)
    to_client(u, &out);
  else
    u->head_out = out;            /* with the first body slice, or at the end */
  return u->no_body ? 1 : HPE_OK; /* 1: no body follows (HEAD, 204, 304) */
}

/* The held head, if any, now (with what else ends the answer). */
static void flush_head(upstream_conn *u, const char *then) {
  if (!u->head_out.p && !then) return;
  wbuf out = u->head_out;
  u->head_out = (wbuf){0};
  if (then) wbuf_puts(&out, then);
  to_client(u, &out);
}

static void on_slice_written(uv_write_t *req, int status) {
  slice_write *w = (slice_write *)req;
  read_buf_unref(w->from);
  free(w->head);
  uv_stream_t *s = req->handle;
  free(w);
  on_client_drained(s, status);
}

/* A slice of the current read goes to the client without a copy: the write
 * holds the read's buffer. As a chunk when the client's answer is chunked. */
static int slice_to_client(upstream_conn *u, const char *at, size_t n) {
  client *c = u->c;
  client_progress(c);
  if (c->tls) { /* encrypted into a buffer of its own: the read's can go at once */
    wbuf out = {0};
    if (u->chunked_to_client) wbuf_putf(&out, "%zx\r\n", n);
    wbuf_put(&out, at, n);
    if (u->chunked_to_client) wbuf_puts(&out, "\r\n");
    c->bytes_out += n;
    client_send(c, &out, on_client_drained);
    if (client_queued(c) > HIGH_WATER && !u->source_paused) {
      uv_read_stop((uv_stream_t *)&u->tcp);
      u->source_paused = true;
    }
    return HPE_OK;
  }
  uv_buf_t bufs[4];
  unsigned count = 0, frame_at = 4;
  char frame[24];
  char *held = u->head_out.p; /* the held head and the first slice: one write */
  if (held) {
    if (u->head_out.failed) return HPE_USER;
    c->bytes_out += u->head_out.len;
    bufs[count++] = uv_buf_init(held, (unsigned)u->head_out.len);
    u->head_out = (wbuf){0};
  }
  if (u->chunked_to_client) {
    int len = snprintf(frame, sizeof frame, "%zx\r\n", n);
    frame_at = count;
    bufs[count++] = uv_buf_init(frame, (unsigned)len);
  }
  bufs[count++] = uv_buf_init((char *)at, (unsigned)n);
  if (u->chunked_to_client) bufs[count++] = uv_buf_init("\r\n", 2);
  if (write_now((uv_stream_t *)&c->tcp, bufs, count)) { /* the usual case: nothing is held */
    free(held);
    c->bytes_out += n;
    return HPE_OK;
  }
  slice_write *w = malloc(sizeof *w);
  if (!w) {
    free(held);
    return HPE_USER;
  }
  w->head = held;
  if (frame_at < count) { /* the frame line moves into the write, with what is left of it */
    size_t sent = bufs[frame_at].base - frame;
    memcpy(w->frame, frame, sizeof frame);
    bufs[frame_at].base = w->frame + sent;
  }
  w->from = read_buf_of(u->reading);
  w->from->refs++;
  c->bytes_out += n;
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, count, on_slice_written)) {
    read_buf_unref(w->from);
    free(w->head);
    free(w);
    return HPE_USER;
  }
  if (client_queued(c) > HIGH_WATER && !u->source_paused) { /* the client reads slower than the upstream sends */
    uv_read_stop((uv_stream_t *)&u->tcp);
    u->source_paused = true;
  }
  return HPE_OK;
}

static int on_resp_body(llhttp_t *p, const char *at, size_t n) {
  if (!n) return HPE_OK; /* llhttp may say "nothing" at a chunk's edge: as a chunk it would end the body */
  return slice_to_client(p->data, at, n);
}

static int on_resp_complete(llhttp_t *p) {
  upstream_conn *u = p->data;
  int status = llhttp_get_status_code(p);
  if (status < 200) return HPE_OK;
  flush_head(u, u->chunked_to_client ? "0\r\n\r\n" : NULL); /* a body's end, or an empty body's whole answer */
  u->done_status = status;
  return HPE_PAUSED; /* the exchange ends after llhttp returns: the client may send its next request at once */
}

static const llhttp_settings_t *response_settings(void) {
  /* constant, shared by every worker thread */
  static const llhttp_settings_t s = {.on_message_begin = on_resp_begin,
                                      .on_header_field = on_resp_field,
                                      .on_header_value = on_resp_value,
                                      .on_headers_complete = on_resp_headers,
                                      .on_body = on_resp_body,
                                      .on_message_complete = on_resp_complete};
  return &s;
}

/* The exchange failed at the upstream: 502 if nothing was sent yet, else the client's connection ends. */
/* The exchange with a fresh connection, or a pooled one. */
static void start_exchange(client *c, bool fresh);

/* A pooled connection the upstream closed just as it was reused (its keep-alive
 * timeout raced this request): an idempotent request without a body (RFC 9110
 * §9.2.2) that got no byte of an answer is sent again, once, on a fresh one. */
static bool retry_on_fresh(upstream_conn *u, client *c) {
  if (!c || !u->reused || u->response_started || c->retried || c->expects_body) return false;
  const char *m = llhttp_method_name((llhttp_method_t)llhttp_get_method(&c->parser));
  if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS") && strcmp(m, "DELETE") && strcmp(m, "PUT"))
    return false;
  c->retried = true;
  return true;
}

static void upstream_failed(upstream_conn *u, const char *why) {
  client *c = u->c;
  bool started = u->response_started, retry = retry_on_fresh(u, c);
  conn_close(u);
  if (!c) return;
  c->up = NULL;
  if (retry) {
    start_exchange(c, true); /* no body: the head is the whole request */
    return;
  }
  if (started)
    client_response_done(c, 502, false);
  else
    client_upstream_unreachable(c, why);
}

static void release(upstream_conn *u, bool reusable);

/* After the parser returned: a complete response frees the connection and lets the client go on. */
static void after_parse(upstream_conn *u, llhttp_errno_t err) {
  if (u->done_status) {
    client *c = u->c;
    int status = u->done_status;
    u->done_status = 0;
    release(u, llhttp_should_keep_alive(&u->parser));
    client_response_done(c, status, true);
  } else if (err != HPE_OK && err != HPE_PAUSED) {
    upstream_failed(u, "the upstream's response is malformed");
  }
}

/* A read buffer: a spare one, or new (NULL when out of memory). */
static read_buf *take_read_buf(upstream_pool *p) {
  read_buf *r = p->spare_reads;
  if (r) {
    p->spare_reads = r->next_spare;
    p->n_spare_reads--;
  } else if ((r = malloc(sizeof *r))) {
    r->home = p;
  }
  if (r) r->refs = 1;
  return r;
}

static void on_upstream_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  read_buf *r = take_read_buf(((upstream_conn *)h->data)->w->pool);
  *buf = uv_buf_init(r ? r->data : NULL, r ? READ_SIZE : 0);
}

static void to_upstream(upstream_conn *u, wbuf *b);

/* Tunnel bytes from the upstream to the client, counted as frames. */
static void relay_upstream_bytes(upstream_conn *u, const char *p, size_t n) {
  if (!n) return;
  uint64_t before = u->from_upstream.frames;
  ws_frames_feed(&u->from_upstream, (const uint8_t *)p, n);
  atomic_fetch_add(&u->w->srv->ws_frames_from_upstreams, u->from_upstream.frames - before);
  u->chunked_to_client = false;
  if (slice_to_client(u, p, n) != HPE_OK) client_close(u->c);
}

void proxy_tunnel_send(client *c, const char *p, size_t n) {
  upstream_conn *u = c->up;
  if (!u || !n) return;
  uint64_t before = c->from_client.frames;
  ws_frames_feed(&c->from_client, (const uint8_t *)p, n);
  atomic_fetch_add(&c->w->srv->ws_frames_from_clients, c->from_client.frames - before);
  c->body_bytes += n;
  client_progress(c);
  wbuf out = {0};
  wbuf_put(&out, p, n);
  to_upstream(u, &out);
}

/* The upstream ended the connection (eof: cleanly) while an exchange was on. */
static void upstream_ended(upstream_conn *u, bool eof) {
  if (u->c->tunnel) { /* the upstream closed the tunnel: so does the client, once it has what was sent */
    client *c = u->c;
    conn_close(u);
    client_response_done(c, 101, false);
    return;
  }
  if (eof && llhttp_message_needs_eof(&u->parser) && llhttp_finish(&u->parser) == HPE_OK && u->done_status) {
    after_parse(u, HPE_OK);
    return;
  }
  upstream_failed(u, "the upstream closed the connection");
}

/* n bytes of the exchange in r (taken: r is unref'd), parsed or tunnelled. */
static void upstream_bytes(upstream_conn *u, read_buf *r, size_t n) {
  const char *p = r->data;
  u->reading = p;
  if (u->c->tunnel) { /* unparsed from here on */
    relay_upstream_bytes(u, p, n);
    u->reading = NULL;
    read_buf_unref(r);
    return;
  }
  llhttp_errno_t err = n ? llhttp_execute(&u->parser, p, n) : HPE_OK;
  if (err == HPE_PAUSED_UPGRADE && u->upgraded) { /* the 101's head ended: the rest of this read is the tunnel's */
    const char *rest = llhttp_get_error_pos(&u->parser);
    client_tunnel_start(u->c);
    relay_upstream_bytes(u, rest, (size_t)(p + n - rest));
    u->reading = NULL;
    read_buf_unref(r);
    return;
  }
  u->reading = NULL;
  read_buf_unref(r);
  after_parse(u, err);
}

static void tls_flush(upstream_conn *u);

/* Ciphertext from an https upstream: the handshake goes on, and the plaintext takes the plain path. */
static void upstream_tls_bytes(upstream_conn *u, read_buf *cipher, size_t n) {
  wbuf plain = {0};
  int rc = tls_conn_receive(u->tls, cipher->data, n, &plain);
  read_buf_unref(cipher);
  tls_flush(u); /* handshake replies, and the request once the handshake is done */
  if (rc < 0) {
    char why[300], detail[400];
    tls_conn_error(u->tls, why, sizeof why);
    snprintf(detail, sizeof detail, "TLS with the upstream failed: %s", why);
    wbuf_free(&plain);
    if (u->c) upstream_failed(u, detail);
    else conn_close(u);
    return;
  }
  for (size_t at = 0; at < plain.len && u->c && !u->closing;) {
    read_buf *r = take_read_buf(u->w->pool);
    if (!r) {
      upstream_failed(u, "the server is out of memory");
      break;
    }
    size_t k = plain.len - at < READ_SIZE ? plain.len - at : READ_SIZE;
    memcpy(r->data, plain.p + at, k);
    at += k;
    upstream_bytes(u, r, k);
  }
  wbuf_free(&plain);
  if (rc == 1 && u->c && !u->closing) upstream_ended(u, true); /* close_notify */
}

static void on_upstream_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  upstream_conn *u = s->data;
  read_buf *r = buf->base ? read_buf_of(buf->base) : NULL;
  if (!u->c) { /* idle in the pool: the upstream closed it, or said something unasked */
    read_buf_unref(r);
    if (nread != 0) {
      pool_remove(u->w->pool, u);
      conn_close(u);
    }
    return;
  }
  if (nread < 0) {
    read_buf_unref(r);
    upstream_ended(u, nread == UV_EOF);
    return;
  }
  if (u->tls)
    upstream_tls_bytes(u, r, (size_t)nread);
  else if (r)
    upstream_bytes(u, r, (size_t)nread);
}

static void on_client_drained(uv_stream_t *s, int status) {
  client *c = s->data;
  if (status < 0 && status != UV_ECANCELED) { /* the client is gone: so is the exchange */
    client_close(c);
    return;
  }
  upstream_conn *u = c->up;
  if (status || !u || !u->source_paused || client_queued(c) > LOW_WATER) return;
  u->source_paused = false;
  uv_read_start((uv_stream_t *)&u->tcp, on_upstream_alloc, on_upstream_read);
}

/* Back to the pool when the exchange ended cleanly and both sides allow it. */
static void release(upstream_conn *u, bool reusable) {
  client *c = u->c;
  u->c = NULL;
  if (c) c->up = NULL;
  upstream_pool *p = u->w->pool;
  if (!reusable || !c || !c->request_complete || p->n_idle >= MAX_IDLE || atomic_load(&u->w->srv->draining)) {
    conn_close(u);
    return;
  }
  if (u->source_paused) uv_read_start((uv_stream_t *)&u->tcp, on_upstream_alloc, on_upstream_read);
  u->source_paused = false;
  u->next_idle = p->idle;
  p->idle = u;
  p->n_idle++;
}

/* ---- the request ---- */

static void on_upstream_drained(uv_stream_t *s, int status) {
  upstream_conn *u = s->data;
  if (status || !u->c || client_queued(u->c) > LOW_WATER) return;
  if (uv_stream_get_write_queue_size(s) <= LOW_WATER) client_pause_reading(u->c, false);
}

/* An https upstream's pending ciphertext to the socket; the plaintext waiting for the handshake, once it is done. */
static void tls_flush(upstream_conn *u) {
  if (u->tls->ready && u->out.len) {
    if (tls_conn_send(u->tls, u->out.p, u->out.len)) u->out.failed = true;
    u->out.len = 0;
  }
  wbuf cipher = tls_conn_take_output(u->tls);
  if (cipher.len) send_buf((uv_stream_t *)&u->tcp, &cipher, on_upstream_drained);
  wbuf_free(&cipher);
}

static void to_upstream(upstream_conn *u, wbuf *b) {
  if (!u->connected || (u->tls && !u->tls->ready)) { /* held until the connection (and TLS) is up */
    wbuf_put(&u->out, b->p, b->len);
    wbuf_free(b);
  } else if (u->tls) {
    if (tls_conn_send(u->tls, b->p, b->len)) u->out.failed = true;
    wbuf_free(b);
    tls_flush(u);
  } else {
    send_buf((uv_stream_t *)&u->tcp, b, on_upstream_drained);
  }
  /* the upstream reads slower than the client sends: the client waits */
  if (u->c && u->out.len + uv_stream_get_write_queue_size((uv_stream_t *)&u->tcp) > HIGH_WATER)
    client_pause_reading(u->c, true);
}

static void on_connect_timeout(uv_timer_t *t) {
  upstream_conn *u = t->data;
  if (!u->connected && !u->closing) upstream_failed(u, "the upstream did not accept the connection in time");
}

static void on_connected(uv_connect_t *req, int status) {
  upstream_conn *u = req->data;
  if (u->closing) return;
  if (status < 0) {
    upstream_failed(u, "the upstream could not be reached");
    return;
  }
  u->connected = true;
  uv_timer_stop(&u->connect_timer);
  uv_tcp_nodelay(&u->tcp, 1);
  uv_read_start((uv_stream_t *)&u->tcp, on_upstream_alloc, on_upstream_read);
  if (u->tls) { /* the ClientHello goes; the request waits for the handshake */
    tls_flush(u);
    return;
  }
  if (u->out.len) {
    wbuf pending = u->out;
    u->out = (wbuf){0};
    send_buf((uv_stream_t *)&u->tcp, &pending, on_upstream_drained);
  }
}

static bool resolve(const char *host, int port, struct sockaddr_storage *addr) {
  if (!uv_ip4_addr(host, port, (struct sockaddr_in *)addr) || !uv_ip6_addr(host, port, (struct sockaddr_in6 *)addr))
    return true;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  if (getaddrinfo(host, service, &hints, &res) || !res) return false; /* names are rare: targets are addresses */
  memcpy(addr, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return true;
}

/* An idle connection to key from the pool (unless fresh is asked for), or a new one. */
/* The worker's TLS client configuration for https upstreams, made on first need (NULL: it cannot be). */
static tls_config *upstream_tls(worker *w) {
  if (w->upstream_tls || w->upstream_tls_failed) return w->upstream_tls;
  char err[512];
  tls_config *t = malloc(sizeof *t);
  if (t && !tls_config_client(t, w->srv->upstream_ca, "--upstream-ca", err, sizeof err)) return w->upstream_tls = t;
  if (t) tls_config_free(t);
  free(t);
  w->upstream_tls_failed = true;
  fprintf(stderr, "gatehouse-server: https upstreams cannot be reached: %s\n", t ? err : "out of memory");
  return NULL;
}

static upstream_conn *connection_for(worker *w, const char *key, const char *host, int port, bool https,
                                     bool fresh) {
  upstream_pool *p = w->pool;
  for (upstream_conn **at = &p->idle; *at && !fresh; at = &(*at)->next_idle)
    if (!strcmp((*at)->key, key)) {
      upstream_conn *u = *at;
      *at = u->next_idle;
      p->n_idle--;
      u->reused = true;
      return u;
    }
  struct sockaddr_storage addr;
  if (!resolve(host, port, &addr)) return NULL;
  tls_config *tls = https ? upstream_tls(w) : NULL;
  if (https && !tls) return NULL;
  upstream_conn *u = calloc(1, sizeof *u);
  if (!u) return NULL;
  if (https && (!(u->tls = malloc(sizeof *u->tls)) || tls_conn_init_client(u->tls, tls, host))) {
    if (u->tls) tls_conn_free(u->tls);
    free(u->tls);
    free(u);
    return NULL;
  }
  snprintf(u->host, sizeof u->host, "%s", host);
  u->w = w;
  u->head.max_bytes = 65536;
  u->head.max_fields = MAX_HEADERS;
  snprintf(u->key, sizeof u->key, "%s", key);
  uv_tcp_init(&w->loop, &u->tcp);
  uv_timer_init(&w->loop, &u->connect_timer);
  u->open_handles = 2;
  u->tcp.data = u->connect_timer.data = u;
  u->connect.data = u;
  if (uv_tcp_connect(&u->connect, &u->tcp, (struct sockaddr *)&addr, on_connected)) {
    conn_close(u);
    return NULL;
  }
  uv_timer_start(&u->connect_timer, on_connect_timeout, w->srv->limits.connect_timeout_ms, 0);
  return u;
}

void proxy_start(client *c) { start_exchange(c, false); }

static void start_exchange(client *c, bool fresh) {
  const char *target = gh_decision_target(c->d);
  url_parts url;
  char key[300];
  if (!target || !url_split(target, &url)) {
    client_fail(c, 502, "the upstream target is not an http(s):// URL this server can reach", true);
    return;
  }
  snprintf(key, sizeof key, "%s://%s:%d", url.https ? "https" : "http", url.host, url.port);
  upstream_conn *u = connection_for(c->w, key, url.host, url.port, url.https, fresh);
  if (!u) {
    client_upstream_unreachable(c, "the upstream could not be reached");
    return;
  }
  u->c = c;
  c->up = u;
  c->upstream_started_ms = uv_now(&c->w->loop);
  u->response_started = u->chunked_to_client = u->no_body = false;
  llhttp_init(&u->parser, HTTP_RESPONSE, response_settings());
  u->parser.data = u;
  wbuf request = {0};
  body_framing body = {.chunked = c->request_chunked,
                       .has_length = (c->parser.flags & F_CONTENT_LENGTH) != 0,
                       .websocket = c->websocket,
                       .length = c->parser.content_length,
                       .proto = c->tls ? "https" : "http"};
  request_head_for_upstream(&request, c->d, &c->head,
                            llhttp_method_name((llhttp_method_t)llhttp_get_method(&c->parser)), c->client_ip, &body);
  to_upstream(u, &request);
}

void proxy_body(client *c, const char *p, size_t n) {
  upstream_conn *u = c->up;
  if (!u || !n) return; /* an empty chunk would end a chunked body */
  wbuf out = {0};
  if (c->request_chunked) wbuf_putf(&out, "%zx\r\n", n);
  wbuf_put(&out, p, n);
  if (c->request_chunked) wbuf_puts(&out, "\r\n");
  to_upstream(u, &out);
}

void proxy_request_end(client *c) {
  upstream_conn *u = c->up;
  if (!u || !c->request_chunked) return;
  wbuf end = {0};
  wbuf_puts(&end, "0\r\n\r\n");
  to_upstream(u, &end);
}

void proxy_abort(client *c) {
  upstream_conn *u = c->up;
  c->up = NULL;
  if (u) conn_close(u);
}
