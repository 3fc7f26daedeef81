#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "gateway_helpers.h"
#include "helpers.h"

gh_gateway *t_gw_load(const char *json) {
  gh_gateway *gw;
  char errors[4096];
  assert_int_equal(gh_gateway_new(&gw), GH_OK);
  int rc = gh_gateway_load(gw, json, strlen(json), errors, sizeof errors);
  if (rc) fail_msg("%s", errors);
  return gw;
}

void t_gw_example_load(t_gw_example *e) {
  e->config = t_read_file(GH_SOURCE_DIR "/examples/gateway/gateway.json", &e->config_len);
  e->tokens = t_load_json("gateway/tokens.json");
  e->now_ms = (int64_t)cJSON_GetObjectItemCaseSensitive(e->tokens, "now")->valuedouble * 1000;
}

void t_gw_example_free(t_gw_example *e) {
  free(e->config);
  cJSON_Delete(e->tokens);
  *e = (t_gw_example){0};
}

const char *t_gw_example_token(const t_gw_example *e, const char *name) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(e->tokens, name);
  assert_non_null(t);
  return t->valuestring;
}

gh_request *t_gw_request(t_req *q, const char *ip, const char *method, const char *path, ...) {
  memset(q, 0, sizeof *q);
  q->r.method = method, q->r.method_len = strlen(method);
  const char *query = strchr(path, '?');
  q->r.path = path, q->r.path_len = query ? (size_t)(query - path) : strlen(path);
  if (query) q->r.query = query + 1, q->r.query_len = strlen(query + 1);
  q->r.client_ip = ip, q->r.client_ip_len = ip ? strlen(ip) : 0;
  va_list ap;
  va_start(ap, path);
  size_t n = 0;
  for (const char *h; (h = va_arg(ap, const char *)) && n < 16; n++) {
    snprintf(q->buf[n], sizeof q->buf[n], "%s", h);
    char *colon = strchr(q->buf[n], ':');
    assert_non_null(colon);
    *colon = 0;
    const char *v = colon + 1 + (colon[1] == ' ');
    q->h[n] = (gh_header){q->buf[n], v, strlen(q->buf[n]), strlen(v)};
  }
  va_end(ap);
  q->r.headers = q->h, q->r.n_headers = n;
  return &q->r;
}

const char *t_gw_header(const gh_decision *d, const char *name) {
  static char value[1024];
  const char *found = NULL;
  for (size_t i = 0; i < gh_decision_header_count(d); i++) {
    const gh_header *h = gh_decision_header(d, i);
    if (h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len)) {
      assert_null(found); /* each at most once */
      snprintf(value, sizeof value, "%.*s", (int)h->value_len, h->value);
      found = value;
    }
  }
  return found;
}
