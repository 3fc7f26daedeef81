/* A client connection: reads requests with llhttp (strict: no lenient
 * flags, so conflicting Content-Length and Transfer-Encoding, bad chunk
 * sizes and bare LF are refused), decides each through the gateway, answers
 * or hands it to proxy.c, and waits for the answer before it reads the next
 * pipelined request. Slow clients are cut off by the header and body
 * timeouts, idle ones by the idle timeout. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "request.h"

#define READ_CHUNK 16384
#define MAX_SPARE_DECISIONS 256
#define MAX_PIPELINED (1u << 20) /* input read ahead while a request is at the upstream */

int64_t server_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void feed(client *c);

/* ---- lifetime ---- */

/* A decision for a request: one of the worker's spares, or a new one; NULL when out of memory. */
static gh_decision *take_decision(worker *w) {
  if (w->n_spare) return w->spare[--w->n_spare];
  gh_decision *d = NULL;
  return gh_decision_new(&d) ? NULL : d;
}

/* An idle connection's input buffer goes back to the worker, for the next connection that reads. */
static void give_back_input(client *c) {
  worker *w = c->w;
  if (!w->spare_in) w->spare_in = calloc(MAX_SPARE_DECISIONS, sizeof *w->spare_in);
  if (c->in_cap == READ_CHUNK && w->spare_in && w->n_spare_in < MAX_SPARE_DECISIONS)
    w->spare_in[w->n_spare_in++] = c->in;
  else
    free(c->in);
  c->in = NULL;
  c->in_cap = 0;
}

static void give_back_decision(worker *w, gh_decision *d) {
  if (!w->spare) w->spare = calloc(MAX_SPARE_DECISIONS, sizeof *w->spare);
  if (w->spare && w->n_spare < MAX_SPARE_DECISIONS)
    w->spare[w->n_spare++] = d;
  else
    gh_decision_free(d);
}

/* One of the client's handles (or a decision on the thread pool) is over; the last one frees it. */
static void client_release(client *c) {
  if (--c->open_handles) return;
  c->w->connections--;
  if (c->prev)
    c->prev->next = c->next;
  else
    c->w->clients = c->next;
  if (c->next) c->next->prev = c->prev;
  gh_decision_free(c->d);
  wbuf_free(&c->head.bytes);
  wbuf_free(&c->portal_body);
  give_back_input(c);
  if (c->tls) tls_conn_free(c->tls);
  free(c->tls);
  free(c);
}

static void on_handle_closed(uv_handle_t *h) { client_release(h->data); }

void client_send(client *c, wbuf *b, sent_fn done) {
  if (!c->tls) {
    send_buf((uv_stream_t *)&c->tcp, b, done);
    return;
  }
  int rc = b->failed ? -1 : tls_conn_send(c->tls, b->p, b->len);
  wbuf_free(b);
  wbuf out = tls_conn_take_output(c->tls);
  if (rc) out.failed = true; /* send_buf refuses it; the connection is closed below */
  send_buf((uv_stream_t *)&c->tcp, &out, done);
  if (rc) client_close(c);
}

static void finish_decision(client *c, int status, int64_t upstream_ms) {
  if (!c->decided) return;
  c->decided = false;
  gh_gateway_complete(c->w->srv->gw, c->d, status, upstream_ms, c->head.bytes.len + c->body_bytes, c->bytes_out);
  atomic_fetch_sub(&c->w->srv->in_flight, 1);
  give_back_decision(c->w, c->d);
  c->d = NULL;
}

void client_close(client *c) {
  if (c->closing) return;
  c->closing = true;
  if (c->up) proxy_abort(c);
  if (c->tunnel) /* a tunnel ends when either side closes: it was a 101, and lasted this long */
    finish_decision(c, 101, (int64_t)(uv_now(&c->w->loop) - c->upstream_started_ms));
  finish_decision(c, 499, -1); /* the client went away: nothing against the upstream */
  uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  client *c = req->data;
  free(req);
  client_close(c);
}

static void arm(client *c, phase ph, uint64_t ms);

/* Closes once what was written has gone out. */
static void close_after_writes(client *c) {
  if (c->closing || c->shutting) return;
  c->shutting = true;
  client_pause_reading(c, true);
  arm(c, PHASE_IDLE, c->w->srv->limits.idle_timeout_ms); /* a client that never reads its answer is cut off too */
  if (c->tls) { /* TLS ends with its close_notify alert (RFC 5246 §7.2.1), then the TCP connection */
    tls_conn_close_notify(c->tls);
    wbuf alert = tls_conn_take_output(c->tls);
    send_buf((uv_stream_t *)&c->tcp, &alert, NULL);
  }
  uv_shutdown_t *req = malloc(sizeof *req);
  if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown)) {
    free(req);
    client_close(c);
    return;
  }
  req->data = c;
}

size_t client_queued(const client *c) { return uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp); }

/* ---- timers ---- */

static void on_timeout(uv_timer_t *t) {
  client *c = t->data;
  switch (c->phase) {
    case PHASE_HEAD:
      client_fail(c, 408, "the request's headers took too long", true);
      break;
    case PHASE_BODY:
      client_fail(c, 408, "the request's body took too long", true);
      break;
    case PHASE_TUNNEL:
      client_close(c); /* nothing either way for the tunnel's idle timeout */
      break;
    case PHASE_UPSTREAM:
      if (c->response_started) { /* mid-body: no other answer can follow */
        client_close(c);
        break;
      }
      if (c->up) proxy_abort(c);
      client_fail(c, 504, "the upstream did not answer in time", true);
      break;
    default:
      client_close(c); /* idle */
  }
}

static uint64_t timeout_of(const client *c, phase ph) {
  const server_limits *l = &c->w->srv->limits;
  return ph == PHASE_HEAD       ? l->header_timeout_ms
         : ph == PHASE_BODY     ? l->body_timeout_ms
         : ph == PHASE_UPSTREAM ? l->upstream_timeout_ms
         : ph == PHASE_TUNNEL   ? l->tunnel_idle_timeout_ms
                                : l->idle_timeout_ms;
}

static void arm(client *c, phase ph, uint64_t ms) {
  c->phase = ph;
  uv_timer_start(&c->timer, on_timeout, ms, 0);
}

void client_progress(client *c) {
  if (!c->closing && c->phase != PHASE_HEAD) arm(c, c->phase, timeout_of(c, c->phase)); /* headers: one deadline */
}

void client_upstream_unreachable(client *c, const char *why) {
  finish_decision(c, 0, -1);
  client_fail(c, 502, why, true);
}

/* ---- answers of the server's own ---- */

void client_fail(client *c, int status, const char *detail, bool close_after) {
  if (c->closing || c->shutting) return;
  char body[512];
  int n = snprintf(body, sizeof body, "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d,\"detail\":\"%s\"}",
                   gh_http_status_text(status), status, detail);
  wbuf out = {0};
  put_response(&out, status, "application/problem+json", body, (size_t)n, !close_after, NULL);
  c->bytes_out += out.len;
  client_send(c, &out, NULL);
  finish_decision(c, status, -1);
  c->forwarding = false;
  if (close_after) close_after_writes(c);
}

/* ---- reading ---- */

void client_pause_reading(client *c, bool paused);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  client *c = h->data;
  if (!c->in && c->w->n_spare_in) {
    c->in = c->w->spare_in[--c->w->n_spare_in];
    c->in_cap = READ_CHUNK;
  }
  if (c->in_cap - c->in_len < READ_CHUNK / 4) {
    size_t cap = c->in_cap ? c->in_cap * 2 : READ_CHUNK;
    char *p = realloc(c->in, cap);
    if (!p) {
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    c->in = p, c->in_cap = cap;
  }
  *buf = uv_buf_init(c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  client *c = s->data;
  if (nread < 0) { /* gone (or half-closed, which HTTP/1.1 clients do not do): the exchange ends here */
    client_close(c);
    return;
  }
  c->in_len += (size_t)nread;
  feed(c);
}

/* Bytes that came through TLS, appended to the input. False when out of memory. */
static bool take_input(client *c, const char *p, size_t n) {
  if (c->in_cap - c->in_len < n) {
    size_t cap = c->in_cap ? c->in_cap : READ_CHUNK;
    while (cap - c->in_len < n) cap *= 2;
    char *q = realloc(c->in, cap);
    if (!q) return false;
    c->in = q, c->in_cap = cap;
  }
  memcpy(c->in + c->in_len, p, n);
  c->in_len += n;
  return true;
}

/* A read on a TLS connection: ciphertext in, the handshake's answers out, the application's bytes to the parser. */
static void on_tls_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  client *c = s->data;
  if (nread < 0) {
    free(buf->base);
    client_close(c);
    return;
  }
  wbuf plain = {0};
  int rc = tls_conn_receive(c->tls, buf->base, (size_t)nread, &plain);
  free(buf->base);
  wbuf handshake = tls_conn_take_output(c->tls);
  if (handshake.len) send_buf((uv_stream_t *)&c->tcp, &handshake, NULL);
  wbuf_free(&handshake);
  bool ok = rc >= 0 && (!plain.len || take_input(c, plain.p, plain.len));
  wbuf_free(&plain);
  if (!ok) { /* a failed handshake or record: nothing sensible can be said in the clear */
    client_close(c);
    return;
  }
  feed(c);
  if (rc == 1 && !c->closing) client_close(c); /* close_notify: the client is done */
}

void client_pause_reading(client *c, bool paused) {
  if (c->closing || (c->shutting && !paused) || paused != c->reading) return;
  if (paused)
    uv_read_stop((uv_stream_t *)&c->tcp);
  else if (c->tls)
    uv_read_start((uv_stream_t *)&c->tcp, alloc_malloc, on_tls_read);
  else
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  c->reading = !paused;
}

static void parse_error(client *c, llhttp_errno_t err) {
  if (c->head.too_large) {
    client_fail(c, 431, "the request's headers are too large", true);
  } else if (err == HPE_USER) {
    client_fail(c, 413, "the request's body is too large", true);
  } else {
    char detail[160];
    snprintf(detail, sizeof detail, "malformed request: %s", llhttp_errno_name(err));
    client_fail(c, 400, detail, true);
  }
}

static void feed(client *c) {
  if (c->tunnel) { /* unparsed: every byte goes to the upstream */
    if (c->in_len) proxy_tunnel_send(c, c->in, c->in_len);
    c->in_len = 0;
    return;
  }
  while (!c->closing && !c->shutting && !c->deciding && c->in_len && !(c->forwarding && c->request_complete)) {
    llhttp_errno_t err = llhttp_execute(&c->parser, c->in, c->in_len);
    size_t used = c->in_len;
    if (err == HPE_PAUSED) {
      used = (size_t)(llhttp_get_error_pos(&c->parser) - c->in);
      llhttp_resume(&c->parser);
    }
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    if (err != HPE_OK && err != HPE_PAUSED) {
      parse_error(c, err);
      return;
    }
  }
  if (!c->closing && !c->shutting && !c->deciding) client_pause_reading(c, c->in_len > MAX_PIPELINED);
}

/* ---- the request ---- */

static int on_message_begin(llhttp_t *p) {
  client *c = p->data;
  head_reset(&c->head);
  c->forwarding = c->request_complete = c->response_started = c->websocket = c->retried = c->portal = false;
  c->portal_body.len = 0;
  c->body_bytes = c->bytes_out = 0;
  arm(c, PHASE_HEAD, c->w->srv->limits.header_timeout_ms);
  return HPE_OK;
}

static int on_url(llhttp_t *p, const char *at, size_t n) { return head_url(&((client *)p->data)->head, at, n); }

static int on_header_field(llhttp_t *p, const char *at, size_t n) {
  return head_field_name(&((client *)p->data)->head, at, n);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n) {
  return head_field_value(&((client *)p->data)->head, at, n);
}

/* The decision's answer, written whole. */
static void respond(client *c) {
  gh_decision *d = c->d;
  wbuf out = {0};
  int status = gh_decision_status(d);
  size_t blen = 0;
  const char *body = gh_decision_body(d, &blen);
  wbuf_putf(&out, "HTTP/1.1 %d %s\r\n", status, gh_http_status_text(status));
  wbuf_put_decision_headers(&out, d);
  wbuf_putf(&out, "Content-Length: %zu\r\n", blen);
  if (!c->keep_alive) wbuf_puts(&out, "Connection: close\r\n");
  wbuf_putf(&out, "X-Request-Id: %s\r\n\r\n", gh_decision_request_id(d));
  if (!c->head_request) wbuf_put(&out, body, blen);
  c->bytes_out += out.len;
  client_send(c, &out, NULL);
  finish_decision(c, status, -1);
}

/* The request as the gateway sees it: from the head, with what TLS adds. 0 or 400 with *why. */
static int client_request(client *c, const char *method, gh_request *req, const char **why) {
  if (request_from_head(&c->head, c->headers, method, c->client_ip, req, why)) return 400;
  if (c->tls) {
    req->scheme = "https", req->scheme_len = 5;
    if (c->tls->has_client_cert) req->client_cert_sha256 = c->tls->client_cert_sha256; /* RFC 8705 §3 */
  }
  return 0;
}

/* The developer portal's answer to the request just read (portal.c). */
static void answer_portal(client *c) {
  server *srv = c->w->srv;
  gh_request req;
  const char *why = NULL;
  client_request(c, llhttp_method_name((llhttp_method_t)llhttp_get_method(&c->parser)), &req, &why);
  portal_answer a;
  portal_handle(&srv->portal, &req, c->portal_body.p, c->portal_body.len, server_now_ms(), &a);
  wbuf out = {0};
  wbuf_putf(&out, "HTTP/1.1 %d %s\r\n", a.status, gh_http_status_text(a.status));
  if (a.content_type) wbuf_putf(&out, "Content-Type: %s\r\n", a.content_type);
  if (a.status != 204) wbuf_putf(&out, "Content-Length: %zu\r\n", a.body_len);
  if (!c->keep_alive) wbuf_puts(&out, "Connection: close\r\n");
  wbuf_puts(&out, a.fields);
  wbuf_puts(&out, "\r\n");
  if (!c->head_request && a.status != 204) wbuf_put(&out, a.body, a.body_len);
  portal_answer_free(&a);
  c->bytes_out += out.len;
  client_send(c, &out, NULL);
  c->portal = false;
  wbuf_free(&c->portal_body);
}

static int act_on_decision(client *c);

/* A decision that may wait on I/O (strict limits in Redis, introspection) is
 * made on libuv's thread pool, so that the worker's loop serves its other
 * connections meanwhile. The request's head stays put (reading is paused);
 * the client stays allocated until the decision is back, even if it closes. */
typedef struct off_loop {
  uv_work_t work;
  client *c;
  gh_request req;
  int64_t now_ms;
} off_loop;

static void decide_on_pool(uv_work_t *work) {
  off_loop *o = work->data;
  gh_gateway_decide(o->c->w->srv->gw, &o->req, o->now_ms, o->c->d);
}

static void decided_on_pool(uv_work_t *work, int status) {
  (void)status;
  off_loop *o = work->data;
  client *c = o->c;
  free(o);
  c->deciding = false;
  if (c->closing || c->shutting) { /* gone meanwhile: the decision completes as the client's going (499) */
    c->decided = true;
    atomic_fetch_add(&c->w->srv->in_flight, 1);
    finish_decision(c, 499, -1);
  } else if (act_on_decision(c) == HPE_OK) {
    feed(c); /* the body, or the next request, waiting in the input */
  }
  client_release(c);
}

static int decide_off_loop(client *c, const gh_request *req) {
  off_loop *o = malloc(sizeof *o);
  if (!o) {
    client_fail(c, 503, "the server is out of memory", true);
    return HPE_PAUSED;
  }
  *o = (off_loop){.c = c, .req = *req, .now_ms = server_now_ms()};
  o->work.data = o;
  if (uv_queue_work(&c->w->loop, &o->work, decide_on_pool, decided_on_pool)) {
    free(o);
    client_fail(c, 503, "the server cannot decide the request now", true);
    return HPE_PAUSED;
  }
  c->deciding = true;
  c->open_handles++;
  client_pause_reading(c, true);
  arm(c, PHASE_BODY, c->w->srv->limits.body_timeout_ms); /* the head is in: its deadline is over (Redis has its own) */
  return HPE_PAUSED;
}

static int on_headers_complete(llhttp_t *p) {
  client *c = p->data;
  server *srv = c->w->srv;
  const char *method = llhttp_method_name((llhttp_method_t)llhttp_get_method(p));
  if (llhttp_get_upgrade(p)) { /* a WebSocket goes through the pipeline; CONNECT and other protocols do not */
    if (strcmp(method, "GET") || !ws_upgrade_requested(&c->head)) {
      client_fail(c, 501, "this server tunnels WebSocket upgrades (GET) only: not CONNECT or other protocols", true);
      return HPE_PAUSED;
    }
    c->websocket = true;
  }
  gh_request req;
  const char *why = NULL;
  if (client_request(c, method, &req, &why)) {
    client_fail(c, 400, why, true);
    return HPE_PAUSED;
  }
  c->http10 = llhttp_get_http_minor(p) == 0;
  c->keep_alive = llhttp_should_keep_alive(p) && !atomic_load(&srv->draining) && !c->websocket;
  c->head_request = strcmp(method, "HEAD") == 0;
  c->request_chunked = (p->flags & F_CHUNKED) != 0;
  c->expects_body = c->request_chunked || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > srv->limits.max_body_bytes) {
    client_fail(c, 413, "the request's body is too large", true);
    return HPE_PAUSED;
  }
  if (srv->portal_on && !c->websocket && portal_path(req.path, req.path_len)) {
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > PORTAL_MAX_BODY) {
      client_fail(c, 413, "the portal reads bodies of at most 16 KiB", true);
      return HPE_PAUSED;
    }
    c->portal = true; /* answered once its body is in */
    arm(c, PHASE_BODY, srv->limits.body_timeout_ms);
    return HPE_OK;
  }
  if (!(c->d = take_decision(c->w))) {
    client_fail(c, 503, "the server is out of memory", true);
    return HPE_PAUSED;
  }
  if (gh_gateway_decide_may_wait(srv->gw)) return decide_off_loop(c, &req);
  gh_gateway_decide(srv->gw, &req, server_now_ms(), c->d);
  return act_on_decision(c);
}

/* The decision made: answered, or on its way upstream. HPE_OK to read on (its body), HPE_PAUSED to stop. */
static int act_on_decision(client *c) {
  server *srv = c->w->srv;
  c->decided = true;
  atomic_fetch_add(&srv->in_flight, 1);
  if (gh_decision_verdict(c->d) == GH_VERDICT_RESPOND) {
    if (c->expects_body) c->keep_alive = false; /* its body is not read: the connection ends with the answer */
    respond(c);
    if (!c->keep_alive) {
      close_after_writes(c);
      return HPE_PAUSED;
    }
    arm(c, PHASE_BODY, srv->limits.body_timeout_ms);
    return HPE_OK;
  }
  c->forwarding = true;
  size_t expect_len = 0;
  const char *expect = head_find(&c->head, "expect", &expect_len);
  if (expect && expect_len == 12 && strncasecmp(expect, "100-continue", 12) == 0) {
    wbuf cont = {0};
    wbuf_puts(&cont, "HTTP/1.1 100 Continue\r\n\r\n");
    client_send(c, &cont, NULL); /* the upstream is not asked */
  }
  arm(c, PHASE_BODY, srv->limits.body_timeout_ms);
  proxy_start(c);
  return c->closing || c->shutting ? HPE_PAUSED : HPE_OK;
}

static int on_body(llhttp_t *p, const char *at, size_t n) {
  client *c = p->data;
  c->body_bytes += n;
  client_progress(c);
  if (c->body_bytes > c->w->srv->limits.max_body_bytes) {
    if (c->up) proxy_abort(c);
    return HPE_USER;
  }
  if (c->forwarding) proxy_body(c, at, n);
  if (c->portal) {
    if (c->body_bytes > PORTAL_MAX_BODY) return HPE_USER; /* 413 */
    wbuf_put(&c->portal_body, at, n);
  }
  return HPE_OK;
}

static int on_message_complete(llhttp_t *p) {
  client *c = p->data;
  c->request_complete = true;
  if (c->portal) {
    answer_portal(c);
    if (!c->keep_alive) {
      close_after_writes(c);
      return HPE_PAUSED;
    }
    arm(c, PHASE_IDLE, c->w->srv->limits.idle_timeout_ms);
  } else if (c->forwarding) {
    proxy_request_end(c);
    arm(c, PHASE_UPSTREAM, c->w->srv->limits.upstream_timeout_ms);
  } else {
    arm(c, PHASE_IDLE, c->w->srv->limits.idle_timeout_ms);
  }
  return HPE_PAUSED; /* one request at a time: the next waits in the input */
}

static const llhttp_settings_t *request_settings(void) {
  /* constant, shared by every worker thread */
  static const llhttp_settings_t s = {.on_message_begin = on_message_begin,
                                      .on_url = on_url,
                                      .on_header_field = on_header_field,
                                      .on_header_value = on_header_value,
                                      .on_headers_complete = on_headers_complete,
                                      .on_body = on_body,
                                      .on_message_complete = on_message_complete};
  return &s;
}

void client_tunnel_start(client *c) {
  c->tunnel = true;
  c->forwarding = false;
  atomic_fetch_add(&c->w->srv->ws_tunnels, 1);
  arm(c, PHASE_TUNNEL, c->w->srv->limits.tunnel_idle_timeout_ms);
  client_pause_reading(c, false);
  feed(c); /* what the client sent after its handshake */
}

void client_close_if_idle(client *c) {
  if (c->tunnel || (!c->decided && !c->forwarding && !c->deciding)) client_close(c); /* a tunnel has no end to wait for */
}

void client_response_done(client *c, int status, bool ok) {
  int64_t upstream_ms = (int64_t)(uv_now(&c->w->loop) - c->upstream_started_ms);
  c->up = NULL;
  c->forwarding = false;
  finish_decision(c, status, status ? upstream_ms : -1);
  if (!ok || !c->keep_alive || atomic_load(&c->w->srv->draining)) {
    close_after_writes(c);
    return;
  }
  arm(c, PHASE_IDLE, c->w->srv->limits.idle_timeout_ms);
  feed(c);
  if (!c->in_len && !c->forwarding && !c->closing && !c->shutting) give_back_input(c); /* idle: holds no buffer */
}

/* ---- accepting ---- */

void client_accept(worker *w, uv_stream_t *listener) {
  client *c = calloc(1, sizeof *c);
  if (!c) return;
  c->w = w;
  uv_tcp_init(&w->loop, &c->tcp);
  uv_timer_init(&w->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->open_handles = 2;
  w->connections++;
  c->next = w->clients;
  if (c->next) c->next->prev = c;
  w->clients = c;
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) || w->connections > w->srv->limits.max_connections ||
      atomic_load(&w->srv->draining)) {
    client_close(c);
    return;
  }
  atomic_fetch_add(&w->srv->accepted, 1);
  uv_tcp_nodelay(&c->tcp, 1);
  struct sockaddr_storage peer;
  int len = sizeof peer;
  if (!uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &len)) {
    if (peer.ss_family == AF_INET6)
      uv_ip6_name((struct sockaddr_in6 *)&peer, c->client_ip, sizeof c->client_ip);
    else
      uv_ip4_name((struct sockaddr_in *)&peer, c->client_ip, sizeof c->client_ip);
  }
  if (w->tls && (!(c->tls = malloc(sizeof *c->tls)) || tls_conn_init(c->tls, w->tls))) {
    free(c->tls); /* out of memory: the connection is refused */
    c->tls = NULL;
    client_close(c);
    return;
  }
  c->head.max_bytes = w->srv->limits.max_header_bytes;
  c->head.max_fields = w->srv->limits.max_headers;
  llhttp_init(&c->parser, HTTP_REQUEST, request_settings());
  c->parser.data = c;
  arm(c, PHASE_IDLE, w->srv->limits.header_timeout_ms); /* the first request's headers must come in time too */
  client_pause_reading(c, false);
}
