/* OpenAPI 3.0 / 3.1 import (JSON documents): each operation under `paths`
 * becomes a route named by its operationId (else "METHOD template"), with
 * path parameters typed from their schemas: integer -> int, string with
 * format uuid -> uuid, anything else untyped. Parameters may be declared on
 * the path item or the operation (the operation's declaration wins) and
 * may be local references (#/components/parameters/...). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/core.h"
#include "../core/json.h"
#include "gatehouse/router.h"
#include "router_internal.h"

#define MAX_DOCUMENT (16u << 20)

static const char *const METHODS[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

/* A local reference "#/components/parameters/x" to its object (one level). */
static const cJSON *deref(const cJSON *doc, const cJSON *p) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(p, "$ref");
  if (!cJSON_IsString(ref)) return p;
  const char *prefix = "#/components/parameters/";
  if (strncmp(ref->valuestring, prefix, strlen(prefix))) return NULL;
  const cJSON *components = cJSON_GetObjectItemCaseSensitive(doc, "components");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(components, "parameters");
  return cJSON_GetObjectItemCaseSensitive(params, ref->valuestring + strlen(prefix));
}

static bool has_type(const cJSON *schema, const char *type) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type"), *x;
  if (cJSON_IsString(t)) return !strcmp(t->valuestring, type);
  cJSON_ArrayForEach(x, t) /* 3.1: a list of types */
    if (cJSON_IsString(x) && !strcmp(x->valuestring, type)) return true;
  return false;
}

/* The type suffix for a path parameter: ":int", ":uuid" or "". */
static const char *type_of(const cJSON *doc, const cJSON *path_item, const cJSON *op, const char *name, size_t len) {
  const char *found = "";
  const cJSON *lists[] = {cJSON_GetObjectItemCaseSensitive(path_item, "parameters"),
                          cJSON_GetObjectItemCaseSensitive(op, "parameters")};
  for (int l = 0; l < 2; l++) { /* the operation's declaration wins */
    const cJSON *p;
    cJSON_ArrayForEach(p, lists[l]) {
      const cJSON *param = deref(doc, p);
      const cJSON *in = cJSON_GetObjectItemCaseSensitive(param, "in"), *n = cJSON_GetObjectItemCaseSensitive(param, "name");
      if (!cJSON_IsString(in) || strcmp(in->valuestring, "path") || !cJSON_IsString(n) || strlen(n->valuestring) != len ||
          memcmp(n->valuestring, name, len))
        continue;
      const cJSON *schema = cJSON_GetObjectItemCaseSensitive(param, "schema");
      const cJSON *format = cJSON_GetObjectItemCaseSensitive(schema, "format");
      found = has_type(schema, "integer") ? ":int"
              : has_type(schema, "string") && cJSON_IsString(format) && !strcmp(format->valuestring, "uuid") ? ":uuid"
                                                                                                              : "";
    }
  }
  return found;
}

/* "/users/{id}" -> "/users/{id:int}" by the declared schemas. */
static int typed_pattern(const cJSON *doc, const cJSON *path_item, const cJSON *op, const char *tmpl, char *out,
                         size_t cap) {
  size_t at = 0;
  for (const char *p = tmpl; *p; p++) {
    if (at + 1 >= cap) return GH_ETOOBIG;
    out[at++] = *p;
    if (*p != '{') continue;
    const char *close = strchr(p, '}');
    if (!close) return GH_EPARSE;
    size_t len = (size_t)(close - p - 1);
    const char *type = type_of(doc, path_item, op, p + 1, len);
    int n = snprintf(out + at, cap - at, "%.*s%s}", (int)len, p + 1, type);
    if (n < 0 || (size_t)n >= cap - at) return GH_ETOOBIG;
    at += (size_t)n;
    p = close;
  }
  out[at] = 0;
  return GH_OK;
}

size_t gh_openapi_import_size(void) { return sizeof(gh_openapi_import); }

int gh_router_add_openapi(gh_router *b, const char *json, size_t len, char *msg, size_t cap) {
  return gh_router_import_openapi(b, json, len, NULL, msg, cap);
}

int gh_router_import_openapi(gh_router *b, const char *json, size_t len, const gh_openapi_import *how, char *msg,
                             size_t cap) {
  static const gh_openapi_import plain = {0};
  if (!how) how = &plain;
  if (!b || !json) return GH_EINVAL;
  if (b->built) return gh__set_msg(msg, cap, "the router is built: routes are added before gh_router_build"), GH_EMISUSE;
  cJSON *doc;
  int rc = gh__json_parse(json, len, MAX_DOCUMENT, 64, &doc, msg, cap);
  if (rc) return rc;
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "openapi");
  const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths"), *item;
  if (!cJSON_IsString(version) || strncmp(version->valuestring, "3.", 2)) {
    gh__set_msg(msg, cap, "openapi: a 3.0 or 3.1 document");
    rc = GH_EPARSE;
  } else if (!cJSON_IsObject(paths)) {
    gh__set_msg(msg, cap, "paths: an object");
    rc = GH_EPARSE;
  }
  char pattern[4200], shown[4200], where[300];
  size_t prefix_len = how->prefix ? strlen(how->prefix) : 0;
  if (prefix_len > 128) {
    gh__set_msg(msg, cap, "the prefix is at most 128 bytes");
    rc = GH_ETOOBIG;
  }
  for (item = rc ? NULL : paths->child; item && !rc; item = item->next) {
    if (!cJSON_IsObject(item)) {
      gh__set_msg(msg, cap, "paths.%.200s: a path item object", item->string);
      rc = GH_EPARSE;
      break;
    }
    for (size_t m = 0; m < sizeof METHODS / sizeof METHODS[0] && !rc; m++) {
      const cJSON *op = cJSON_GetObjectItemCaseSensitive(item, METHODS[m]);
      if (!op) continue;
      char method[8];
      size_t k = 0;
      for (; METHODS[m][k]; k++) method[k] = (char)(METHODS[m][k] - 'a' + 'A');
      method[k] = 0;
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(op, "operationId");
      snprintf(shown, sizeof shown, "%s%s", prefix_len ? how->prefix : "", item->string);
      memcpy(pattern, how->prefix ? how->prefix : "", prefix_len);
      rc = typed_pattern(doc, item, op, item->string, pattern + prefix_len, sizeof pattern - prefix_len);
      if (rc) {
        gh__set_msg(msg, cap, "paths.%.200s: an unclosed '{' or a template too long", item->string);
        break;
      }
      char inner[256] = "";
      const char *name = cJSON_IsString(id) ? id->valuestring : NULL;
      void *ud = how->route ? how->route(how->ud, method, shown, name) : NULL;
      if (how->route && !ud) {
        rc = GH_ENOMEM;
        break;
      }
      gh_route_spec spec = {method, pattern, name, ud, how->host, how->version};
      rc = gh__router_add_shown(b, &spec, shown, inner, sizeof inner);
      if (rc) {
        snprintf(where, sizeof where, "paths.%.200s.%s", item->string, METHODS[m]);
        gh__set_msg(msg, cap, "%s: %s", where, inner);
      }
    }
  }
  cJSON_Delete(doc);
  return rc;
}
