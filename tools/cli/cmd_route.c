/* gatehouse route match: routes of an OpenAPI document against requests,
 * one JSON object per request. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gatehouse.h"

/* Prints the answer for one request; returns whether it matched. */
static bool answer(const gh_router *r, const char *method, const char *path) {
  static gh_route_match m;
  gh_router_match(r, method, strlen(method), path, strlen(path), &m);
  cJSON *o = cJSON_CreateObject();
  if (m.status == 200) {
    cJSON_AddStringToObject(o, "match", m.pattern);
    cJSON_AddStringToObject(o, "route", m.name);
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    for (size_t i = 0; i < m.n_params; i++) {
      char *v = strndup(m.params[i].value, m.params[i].len);
      cJSON_AddStringToObject(params, m.params[i].name, v ? v : "");
      free(v);
    }
  } else {
    cJSON_AddNullToObject(o, "match");
    cJSON_AddNumberToObject(o, "status", m.status);
    if (m.allow[0]) {
      cJSON *allow = cJSON_AddArrayToObject(o, "allow");
      for (char *save = NULL, *t = strtok_r(m.allow, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        cJSON_AddItemToArray(allow, cJSON_CreateString(t));
    }
  }
  char *text = cJSON_PrintUnformatted(o);
  puts(text ? text : "{}");
  free(text);
  cJSON_Delete(o);
  return m.status == 200;
}

int cmd_route(int argc, char **argv) {
  if (argc < 1) return cli_usage("route", NULL, "which route command?");
  if (strcmp(argv[0], "match")) return cli_usage("route", NULL, "unknown route command '%s'", argv[0]);
  const char *openapi = NULL, *request[2] = {NULL, NULL};
  int given = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--openapi")) {
      if (i + 1 >= argc) return cli_usage("route", "match", "--openapi needs a value");
      openapi = argv[++i];
    } else if (cli_is_option(argv[i])) {
      return cli_usage("route", "match", "unknown option '%s'", argv[i]);
    } else if (given < 2) {
      request[given++] = argv[i];
    } else {
      return cli_usage("route", "match", "one METHOD and one PATH at most (got '%s' too)", argv[i]);
    }
  }
  if (!openapi) return cli_usage("route", "match", "--openapi FILE is required");
  if (given == 1) return cli_usage("route", "match", "METHOD and PATH go together, or neither (then lines on stdin)");
  size_t len;
  char *doc = cli_read_file(openapi, 16u << 20, &len);
  if (!doc) return EXIT_USAGE;
  gh_router *r = NULL;
  char msg[512] = "";
  int rc = gh_router_new(&r);
  if (!rc) rc = gh_router_add_openapi(r, doc, len, msg, sizeof msg);
  if (!rc) rc = gh_router_build(r);
  if (rc) rc = cli_document_error("--openapi", openapi, doc, len, rc, msg);
  free(doc);
  if (rc) {
    gh_router_free(r);
    return rc;
  }
  int status = EXIT_VALID;
  if (given == 2) {
    if (!answer(r, request[0], request[1])) status = EXIT_REJECTED;
  } else {
    char line[8192];
    for (long n = 1; fgets(line, sizeof line, stdin); n++) {
      char method[33], path[8192];
      if (strspn(line, " \t\r\n") == strlen(line)) continue;
      if (sscanf(line, "%32s %8191s", method, path) != 2) {
        fprintf(stderr, "error: line %ld: expected METHOD PATH\n", n);
        status = EXIT_USAGE;
        continue;
      }
      if (!answer(r, method, path) && status == EXIT_VALID) status = EXIT_REJECTED;
    }
  }
  gh_router_free(r);
  return status;
}
