/* gatehouse decide: one request through the gateway pipeline of a
 * configuration, printed as the decision's explanation: why a request was
 * (or would be) answered the way it was. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gatehouse.h"

#define MAX_HEADERS 64

static void add_headers(cJSON *o, const char *name, const gh_header *h, size_t n) {
  cJSON *arr = cJSON_AddArrayToObject(o, name);
  for (size_t i = 0; i < n; i++) {
    char *line = malloc(h[i].name_len + h[i].value_len + 3);
    if (!line) continue;
    sprintf(line, "%.*s: %.*s", (int)h[i].name_len, h[i].name, (int)h[i].value_len, h[i].value);
    cJSON_AddItemToArray(arr, cJSON_CreateString(line));
    free(line);
  }
}

int cmd_decide(int argc, char **argv) {
  static const char *const known[] = {"--config", "--now", "--header", "--client-ip", NULL};
  const char *config = NULL, *client_ip = NULL, *method = NULL, *url = NULL;
  int64_t now_s = (int64_t)time(NULL);
  gh_header headers[MAX_HEADERS];
  size_t n_headers = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (!strcmp(a, "--config") && has_value) {
      config = argv[++i];
    } else if (!strcmp(a, "--client-ip") && has_value) {
      client_ip = argv[++i];
    } else if (!strcmp(a, "--now") && has_value) {
      if (cli_parse_int(argv[++i], 0, gh_time_max_ms() / 1000, &now_s))
        return cli_usage("decide", "", "--now takes whole Unix seconds (got '%s')", argv[i]);
    } else if (!strcmp(a, "--header") && has_value) {
      const char *h = argv[++i], *colon = strchr(h, ':');
      if (!colon || colon == h) return cli_usage("decide", "", "--header takes 'Name: value' (got '%s')", h);
      if (n_headers == MAX_HEADERS) return cli_usage("decide", "", "at most %d headers", MAX_HEADERS);
      const char *v = colon + 1;
      while (*v == ' ' || *v == '\t') v++;
      headers[n_headers++] = (gh_header){h, v, (size_t)(colon - h), strlen(v)};
    } else if (cli_is_option(a)) {
      return cli_option_error("decide", "", a, known);
    } else if (!method) {
      method = a;
    } else if (!url) {
      url = a;
    } else {
      return cli_usage("decide", "", "one METHOD and one URL (got '%s' too)", a);
    }
  }
  if (!config) return cli_usage("decide", "", "--config FILE is required");
  if (!url) return cli_usage("decide", "", "give the request: METHOD URL (\"GET /v2/orders/7\" or a full URL)");
  /* the URL: a path, or scheme://authority/path?query */
  const char *host = NULL, *path = url;
  size_t host_len = 0;
  const char *scheme_end = strstr(url, "://");
  if (scheme_end && scheme_end < strchr(url, '/') + 1) {
    host = scheme_end + 3;
    const char *slash = strchr(host, '/');
    host_len = slash ? (size_t)(slash - host) : strlen(host);
    path = slash ? slash : "/";
  }
  if (*path != '/') return cli_usage("decide", "", "the URL's path starts with '/' (got '%s')", url);
  const char *q = strchr(path, '?');
  gh_gateway *gw = NULL;
  gh_decision *d = NULL;
  int rc = cli_load_gateway(config, &gw);
  if (!rc && (rc = gh_decision_new(&d))) rc = cli_library_error(rc, NULL);
  if (rc) {
    gh_gateway_free(gw);
    return rc;
  }
  gh_request req = {.method = method, .method_len = strlen(method), .path = path,
                    .path_len = q ? (size_t)(q - path) : strlen(path), .query = q ? q + 1 : NULL,
                    .query_len = q ? strlen(q + 1) : 0, .host = host, .host_len = host_len, .headers = headers,
                    .n_headers = n_headers, .client_ip = client_ip, .client_ip_len = client_ip ? strlen(client_ip) : 0};
  rc = gh_gateway_decide(gw, &req, now_s * 1000, d);
  size_t need = 0;
  char *text = NULL;
  if (gh_decision_explain(d, NULL, 0, &need) == GH_ETOOBIG && (text = malloc(need + 1)))
    gh_decision_explain(d, text, need + 1, NULL);
  cJSON *o = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!o) {
    gh_decision_free(d);
    gh_gateway_free(gw);
    return cli_library_error(rc ? rc : GH_ENOMEM, NULL);
  }
  size_t n = gh_decision_header_count(d);
  gh_header out[64];
  for (size_t i = 0; i < n && i < 64; i++) out[i] = *gh_decision_header(d, i);
  add_headers(o, "headers", out, n < 64 ? n : 64);
  if (gh_decision_verdict(d) == GH_VERDICT_RESPOND) {
    size_t blen = 0;
    const char *body = gh_decision_body(d, &blen);
    cJSON *parsed = blen ? cJSON_ParseWithLength(body, blen) : NULL;
    if (parsed) cJSON_AddItemToObject(o, "body", parsed);
    else if (blen) cJSON_AddStringToObject(o, "body", body);
  } else {
    size_t plen = 0, nh = 0;
    const char *up = gh_decision_upstream_path(d, &plen);
    if (up) cJSON_AddStringToObject(o, "upstream_path", up);
    const gh_header *uh = gh_decision_upstream_headers(d, &nh);
    add_headers(o, "upstream_headers", uh, nh);
  }
  char *printed = cJSON_Print(o);
  puts(printed ? printed : "{}");
  free(printed);
  cJSON_Delete(o);
  int status = gh_decision_verdict(d) == GH_VERDICT_FORWARD ? EXIT_VALID : EXIT_REJECTED;
  gh_gateway_complete(gw, d, 0, -1, 0, 0);
  gh_decision_free(d);
  gh_gateway_free(gw);
  return status;
}
