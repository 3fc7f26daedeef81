/* Fuzzes the reference server's request handling (examples/server): bytes
 * as a client sends them go through llhttp (strict, as the server runs it)
 * into the server's head, then request_from_head's gh_request, a decision of
 * the example gateway configuration, and for a FORWARD the head the server
 * would send upstream. That head must itself parse, strictly, as one request
 * with the decision's path and no smuggled framing: whatever the client
 * sent and whatever the configuration's transformations made of it. */
#include <llhttp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gateway.h"
#include "gatehouse.h"
#include "head.h"
#include "request.h"
#include "tunnel.h"

static gh_gateway *gw;
static gh_decision *d;

static void setup(void) {
  gw = fuzz_gateway(NULL);
  if (gh_decision_new(&d)) abort();
}

typedef struct reading {
  head h;
  gh_header views[MAX_HEADERS];
  int headers_complete;
} reading;

static int on_url(llhttp_t *p, const char *at, size_t n) { return head_url(&((reading *)p->data)->h, at, n); }
static int on_field(llhttp_t *p, const char *at, size_t n) { return head_field_name(&((reading *)p->data)->h, at, n); }
static int on_value(llhttp_t *p, const char *at, size_t n) { return head_field_value(&((reading *)p->data)->h, at, n); }
static int on_headers_complete(llhttp_t *p) {
  ((reading *)p->data)->headers_complete++;
  return HPE_PAUSED; /* one head at a time */
}

static const llhttp_settings_t settings = {.on_url = on_url,
                                           .on_header_field = on_field,
                                           .on_header_value = on_value,
                                           .on_headers_complete = on_headers_complete};

/* The upstream head parses strictly, once, and says what the decision said. */
static void check_upstream_head(const wbuf *out, const char *method) {
  static reading r;
  head_reset(&r.h);
  r.h.max_bytes = 1 << 20, r.h.max_fields = MAX_HEADERS;
  r.headers_complete = 0;
  llhttp_t p;
  llhttp_init(&p, HTTP_REQUEST, &settings);
  p.data = &r;
  llhttp_errno_t err = llhttp_execute(&p, out->p, out->len);
  if (err != HPE_PAUSED || r.headers_complete != 1) {
    fprintf(stderr, "the upstream head does not parse (%s):\n%.*s\n", llhttp_errno_name(err), (int)out->len, out->p);
    abort();
  }
  if ((size_t)(llhttp_get_error_pos(&p) - out->p) != out->len) abort(); /* nothing after the head */
  if (strcmp(llhttp_method_name((llhttp_method_t)llhttp_get_method(&p)), method)) abort();
  size_t path_len = 0;
  const char *path = gh_decision_upstream_path(d, &path_len);
  if (r.h.url_len != path_len || memcmp(r.h.bytes.p + r.h.url, path, path_len)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!gw) setup();
  static reading r;
  head_reset(&r.h);
  r.h.max_bytes = 16384, r.h.max_fields = 100; /* the server's defaults */
  r.headers_complete = 0;
  llhttp_t p;
  llhttp_init(&p, HTTP_REQUEST, &settings);
  p.data = &r;
  if (llhttp_execute(&p, (const char *)data, size) != HPE_PAUSED || !r.headers_complete) return 0;
  const char *method = llhttp_method_name((llhttp_method_t)llhttp_get_method(&p));
  bool websocket = llhttp_get_upgrade(&p) && ws_upgrade_requested(&r.h);
  gh_request req;
  const char *why = NULL;
  if (request_from_head(&r.h, r.views, method, "10.1.2.3", &req, &why)) {
    if (!why) abort();
    return 0;
  }
  if (req.path_len == 0 || req.path[0] != '/') abort();
  gh_gateway_decide(gw, &req, 1800000000000, d);
  if (gh_decision_verdict(d) == GH_VERDICT_FORWARD) {
    wbuf out = {0};
    body_framing body = {.chunked = (p.flags & F_CHUNKED) != 0,
                         .has_length = (p.flags & F_CONTENT_LENGTH) != 0,
                         .websocket = websocket,
                         .length = p.content_length,
                         .proto = size % 2 ? "https" : "http"};
    request_head_for_upstream(&out, d, &r.h, method, "10.1.2.3", &body);
    if (!out.failed) check_upstream_head(&out, method);
    wbuf_free(&out);
  }
  gh_gateway_complete(gw, d, 200, 1, size, 0);
  return 0;
}
