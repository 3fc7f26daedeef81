/* The admin API: GET /health (the process answers), GET /ready (a
 * configuration is serving), GET /metrics (Prometheus), GET /config (the
 * serving document with its secrets redacted), PUT /config (a validated
 * reload: all of it or nothing), PATCH /config (an RFC 6902 JSON Patch: add
 * or remove identity providers, keys, consumers, routes ...). All but
 * /health and /ready need `Authorization: Bearer <admin token>`. */
#include "admin.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define MAX_ADMIN_BODY (4u << 20)

typedef struct admin_conn {
  uv_tcp_t tcp;
  server *srv;
  llhttp_t parser;
  wbuf url, body, field, auth;
  bool in_value, auth_field;
} admin_conn;

static void on_closed(uv_handle_t *h) {
  admin_conn *a = h->data;
  wbuf_free(&a->url), wbuf_free(&a->body), wbuf_free(&a->field), wbuf_free(&a->auth);
  free(a);
}

static void reply(admin_conn *a, int status, const char *type, const char *body, size_t len) {
  wbuf out = {0};
  put_response(&out, status, type, body, len, llhttp_should_keep_alive(&a->parser), NULL);
  send_buf((uv_stream_t *)&a->tcp, &out, NULL);
}

static void reply_json(admin_conn *a, int status, const char *fmt_detail, const char *detail) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, status < 400 ? "status" : "error", status < 400 ? "ok" : gh_http_status_text(status));
  if (detail) cJSON_AddStringToObject(o, fmt_detail, detail);
  char *text = cJSON_PrintUnformatted(o);
  reply(a, status, "application/json", text, text ? strlen(text) : 0);
  cJSON_free(text);
  cJSON_Delete(o);
}

/* Secrets out of a document: key digests and private key members become "<redacted>". */
static void redact(cJSON *node) {
  static const char *const secret[] = {"sha256", "d", "p", "q", "dp", "dq", "qi", "k", NULL};
  for (cJSON *m = node ? node->child : NULL; m; m = m->next) {
    bool hide = false;
    for (size_t i = 0; m->string && secret[i]; i++) hide |= !strcmp(m->string, secret[i]);
    if (m->string && !strcmp(m->string, "api_keys") && cJSON_IsArray(m)) {
      for (cJSON *k = m->child; k; k = k->next)
        if (cJSON_IsString(k)) cJSON_SetValuestring(k, "<redacted>");
    }
    if (hide && cJSON_IsString(m))
      cJSON_SetValuestring(m, "<redacted>");
    else
      redact(m);
  }
}

static bool authorized(admin_conn *a) {
  const char *token = a->srv->admin_token;
  if (!token) return false;
  size_t n = strlen(token);
  if (a->auth.len != n + 7 || strncmp(a->auth.p, "Bearer ", 7)) return false;
  unsigned char diff = 0; /* constant time over the token */
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(a->auth.p[7 + i] ^ token[i]);
  return diff == 0;
}

static void route(admin_conn *a) {
  server *srv = a->srv;
  const char *method = llhttp_method_name((llhttp_method_t)llhttp_get_method(&a->parser));
  wbuf_put(&a->url, "", 1);
  const char *path = a->url.p;
  if (!strcmp(path, "/health")) {
    reply_json(a, 200, "", NULL);
    return;
  }
  if (!strcmp(path, "/ready")) {
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)gh_gateway_version(srv->gw));
    if (gh_gateway_version(srv->gw))
      reply_json(a, 200, "config_version", v);
    else
      reply_json(a, 503, "detail", "no configuration is serving");
    return;
  }
  if (!authorized(a)) {
    reply_json(a, 401, "detail", "send Authorization: Bearer <the admin token>");
    return;
  }
  char *out = NULL;
  size_t len = 0;
  if (!strcmp(path, "/metrics") && !strcmp(method, "GET")) {
    int rc = gh_metrics_write(srv->gw, &out, &len);
    if (rc) {
      reply_json(a, 404, "detail", "metrics are off (\"analytics\": {\"metrics\": false})");
      return;
    }
    wbuf all = {0}; /* the gateway's families, then the server's own */
    wbuf_put(&all, out, len);
    gh_free(out);
    wbuf_putf(&all,
              "# HELP gatehouse_server_websocket_tunnels_total WebSocket connections tunnelled to an upstream.\n"
              "# TYPE gatehouse_server_websocket_tunnels_total counter\n"
              "gatehouse_server_websocket_tunnels_total %llu\n"
              "# HELP gatehouse_server_websocket_frames_total WebSocket frames relayed, by the side that sent them.\n"
              "# TYPE gatehouse_server_websocket_frames_total counter\n"
              "gatehouse_server_websocket_frames_total{from=\"client\"} %llu\n"
              "gatehouse_server_websocket_frames_total{from=\"upstream\"} %llu\n",
              (unsigned long long)atomic_load(&srv->ws_tunnels),
              (unsigned long long)atomic_load(&srv->ws_frames_from_clients),
              (unsigned long long)atomic_load(&srv->ws_frames_from_upstreams));
    reply(a, 200, "text/plain; version=0.0.4", all.p, all.len);
    wbuf_free(&all);
    return;
  }
  if (!strcmp(path, "/config") && !strcmp(method, "GET")) {
    if (gh_gateway_document(srv->gw, &out, &len)) {
      reply_json(a, 500, "detail", "out of memory");
      return;
    }
    cJSON *doc = cJSON_ParseWithLength(out, len);
    gh_free_secret(out);
    redact(doc);
    char *text = cJSON_Print(doc);
    reply(a, 200, "application/json", text, text ? strlen(text) : 0);
    cJSON_free(text);
    cJSON_Delete(doc);
    return;
  }
  if (!strcmp(path, "/config") && (!strcmp(method, "PUT") || !strcmp(method, "PATCH"))) {
    char errors[8192];
    int rc = !strcmp(method, "PUT")
                 ? gh_gateway_reload(srv->gw, a->body.p ? a->body.p : "", a->body.len, errors, sizeof errors)
                 : gh_gateway_patch(srv->gw, a->body.p ? a->body.p : "", a->body.len, errors, sizeof errors);
    if (rc) {
      reply_json(a, rc == GH_ENOMEM ? 503 : 400, "errors", errors);
      return;
    }
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)gh_gateway_version(srv->gw));
    if (!strcmp(method, "PUT"))
      portal_overlay(&srv->portal); /* the developers' consumers stay */
    else
      portal_refresh(&srv->portal);
    fprintf(stderr, "gatehouse-server: configuration %s through the admin API (version %s)\n",
            !strcmp(method, "PUT") ? "replaced" : "patched", v);
    {
      reply_json(a, 200, "config_version", v);
      return;
    }
  }
  reply_json(a, 404, "detail", "GET /health, /ready, /metrics, /config; PUT or PATCH /config");
}

static int on_begin(llhttp_t *p) {
  admin_conn *a = p->data;
  a->url.len = a->body.len = a->field.len = a->auth.len = 0;
  a->in_value = a->auth_field = false;
  return 0;
}
static int on_url(llhttp_t *p, const char *at, size_t n) {
  admin_conn *a = p->data;
  wbuf_put(&a->url, at, n);
  return a->url.len > 4096 ? HPE_USER : 0;
}
static int on_field(llhttp_t *p, const char *at, size_t n) {
  admin_conn *a = p->data;
  if (a->in_value) a->field.len = 0;
  a->in_value = false;
  wbuf_put(&a->field, at, n);
  return a->field.len > 256 ? HPE_USER : 0;
}
static int on_value(llhttp_t *p, const char *at, size_t n) {
  admin_conn *a = p->data;
  if (!a->in_value) a->auth_field = name_is(a->field.p, a->field.len, "authorization");
  a->in_value = true;
  if (a->auth_field) wbuf_put(&a->auth, at, n);
  return a->auth.len > 1024 ? HPE_USER : 0;
}
static int on_body(llhttp_t *p, const char *at, size_t n) {
  admin_conn *a = p->data;
  wbuf_put(&a->body, at, n);
  return a->body.len > MAX_ADMIN_BODY ? HPE_USER : 0;
}
static int on_complete(llhttp_t *p) {
  route(p->data);
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
  admin_conn *a = s->data;
  if (nread > 0 && llhttp_execute(&a->parser, buf->base, (size_t)nread) != HPE_OK) {
    reply_json(a, 400, "detail", "malformed or too large a request");
    nread = UV_EOF;
  }
  free(buf->base);
  if (nread < 0 && !uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, on_closed);
}

static void on_connection(uv_stream_t *listener, int status) {
  if (status < 0) return;
  admin_conn *a = calloc(1, sizeof *a);
  if (!a) return;
  a->srv = listener->data;
  uv_tcp_init(listener->loop, &a->tcp);
  a->tcp.data = a;
  if (uv_accept(listener, (uv_stream_t *)&a->tcp)) {
    uv_close((uv_handle_t *)&a->tcp, on_closed);
    return;
  }
  llhttp_init(&a->parser, HTTP_REQUEST, settings());
  a->parser.data = a;
  uv_read_start((uv_stream_t *)&a->tcp, alloc_malloc, on_read);
}

int admin_listen(server *srv, uv_loop_t *loop, uv_tcp_t *listener) {
  struct sockaddr_storage addr;
  int rc = strchr(srv->admin_host, ':') ? uv_ip6_addr(srv->admin_host, srv->admin_port, (struct sockaddr_in6 *)&addr)
                                        : uv_ip4_addr(srv->admin_host, srv->admin_port, (struct sockaddr_in *)&addr);
  if (!rc) rc = uv_tcp_init(loop, listener);
  listener->data = srv;
  if (!rc) rc = uv_tcp_bind(listener, (struct sockaddr *)&addr, 0);
  if (!rc) rc = uv_listen((uv_stream_t *)listener, 64, on_connection);
  return rc;
}

void admin_reload_file(server *srv) {
  if (!srv->config_path) {
    fprintf(stderr, "gatehouse-server: SIGHUP: no --config file to reload (the demo configuration is built in)\n");
    return;
  }
  FILE *f = fopen(srv->config_path, "rb");
  wbuf doc = {0};
  char chunk[65536];
  size_t n;
  while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0) wbuf_put(&doc, chunk, n);
  if (f) fclose(f);
  char errors[8192];
  int rc = f ? gh_gateway_reload(srv->gw, doc.p ? doc.p : "", doc.len, errors, sizeof errors) : GH_EIO;
  if (rc == GH_EIO)
    fprintf(stderr, "gatehouse-server: SIGHUP: cannot read %s; the configuration stays\n", srv->config_path);
  else if (rc)
    fprintf(stderr, "gatehouse-server: SIGHUP: %s is refused; the configuration stays:\n%s\n", srv->config_path,
            errors);
  else
    portal_overlay(&srv->portal); /* the developers' consumers stay */
  if (!rc)
    fprintf(stderr, "gatehouse-server: reloaded %s (version %llu)\n", srv->config_path,
            (unsigned long long)gh_gateway_version(srv->gw));
  wbuf_free(&doc);
}
