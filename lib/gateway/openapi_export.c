/* The OpenAPI 3.1 document of the published catalog, from the serving
 * snapshot: each published or deprecated version's operations; security
 * schemes from the realms (bearer JWT, API keys, OpenID Connect discovery
 * and, once its document was fetched, OAuth 2.0 flows); lifecycle dates,
 * limits and plans as x-gatehouse extensions. What the portal renders. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "../core/core.h"
#include "../core/date.h"
#include "../core/json.h"
#include "pipeline.h"
#include "snapshot.h"

typedef struct exporter {
  gh_gateway *gw;
  const gh__snapshot *s;
  cJSON *root, *paths, *schemes, *tags;
  bool failed;
} exporter;

static cJSON *add_object(exporter *x, cJSON *to, const char *name) {
  cJSON *o = cJSON_GetObjectItemCaseSensitive(to, name);
  if (!o && !(o = cJSON_AddObjectToObject(to, name))) x->failed = true;
  return o;
}

static void add_string(exporter *x, cJSON *to, const char *name, const char *v) {
  if (v && !cJSON_AddStringToObject(to, name, v)) x->failed = true;
}

static void add_date(exporter *x, cJSON *to, const char *name, int64_t unix_s) {
  if (unix_s == GH__NO_DATE) return;
  char when[25];
  gh__rfc3339_ms(unix_s * 1000, when);
  memcpy(when + 19, "Z", 2); /* whole seconds */
  add_string(x, to, name, when);
}

/* ---- security schemes ---- */

/* The OAuth 2.0 flows a fetched discovery document (RFC 8414) describes. */
static void oauth_flows(exporter *x, const char *realm, const char *discovery_url) {
  size_t len = 0;
  char *text = gh__gateway_fetched_copy(x->gw, discovery_url, &len);
  cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
  gh__free(text);
  const cJSON *authz = cJSON_GetObjectItemCaseSensitive(doc, "authorization_endpoint");
  const cJSON *token = cJSON_GetObjectItemCaseSensitive(doc, "token_endpoint");
  const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(doc, "scopes_supported");
  if (cJSON_IsString(token)) {
    char name[160];
    snprintf(name, sizeof name, "%s-oauth2", realm);
    cJSON *scheme = add_object(x, x->schemes, name);
    add_string(x, scheme, "type", "oauth2");
    cJSON *flows = add_object(x, scheme, "flows");
    for (int f = 0; f < 2 && flows; f++) {
      if (f == 0 && !cJSON_IsString(authz)) continue;
      cJSON *flow = add_object(x, flows, f == 0 ? "authorizationCode" : "clientCredentials");
      if (f == 0) add_string(x, flow, "authorizationUrl", authz->valuestring);
      add_string(x, flow, "tokenUrl", token->valuestring);
      cJSON *map = add_object(x, flow, "scopes");
      for (const cJSON *sc = cJSON_IsArray(scopes) ? scopes->child : NULL; sc && map; sc = sc->next)
        if (cJSON_IsString(sc)) add_string(x, map, sc->valuestring, "");
    }
  }
  cJSON_Delete(doc);
}

/* The schemes of a realm into components, and the names of those that carry scopes. */
static void realm_schemes(exporter *x, const gh__gw_realm *r) {
  char name[160];
  bool bearer = r->n_ctxs > 0; /* introspected tokens are opaque bearer tokens */
  for (size_t i = 0; i < r->n_verifiers; i++) {
    if (r->verifier_discovery && r->verifier_discovery[i]) {
      snprintf(name, sizeof name, "%s-oidc", r->name);
      cJSON *scheme = add_object(x, x->schemes, name);
      add_string(x, scheme, "type", "openIdConnect");
      add_string(x, scheme, "openIdConnectUrl", r->verifier_discovery[i]);
      oauth_flows(x, r->name, r->verifier_discovery[i]);
    } else {
      snprintf(name, sizeof name, "%s-jwt", r->name);
      cJSON *scheme = add_object(x, x->schemes, name);
      add_string(x, scheme, "type", "http");
      add_string(x, scheme, "scheme", "bearer");
      add_string(x, scheme, "bearerFormat", "JWT");
    }
  }
  if (bearer) {
    snprintf(name, sizeof name, "%s-bearer", r->name);
    cJSON *scheme = add_object(x, x->schemes, name);
    add_string(x, scheme, "type", "http");
    add_string(x, scheme, "scheme", "bearer");
  }
  if (r->n_stores && r->api_key_header) {
    snprintf(name, sizeof name, "%s-api-key", r->name);
    cJSON *scheme = add_object(x, x->schemes, name);
    add_string(x, scheme, "type", "apiKey");
    add_string(x, scheme, "in", "header");
    add_string(x, scheme, "name", r->api_key_header);
  }
}

/* An operation's security: any one of its realm's schemes (scopes where the scheme carries them). */
static cJSON *security(exporter *x, const gh__gw_route *route) {
  cJSON *any = cJSON_CreateArray();
  if (!any) {
    x->failed = true;
    return NULL;
  }
  if (route->auth == GH__AUTH_NONE || !route->realm) return any;
  static const char *const suffixes[] = {"-jwt", "-oidc", "-oauth2", "-bearer", "-api-key", NULL};
  for (size_t k = 0; suffixes[k]; k++) {
    char name[160];
    snprintf(name, sizeof name, "%s%s", route->realm->name, suffixes[k]);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(x->schemes, name);
    if (!sc) continue;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(sc, "type");
    bool scoped =
        cJSON_IsString(type) && (!strcmp(type->valuestring, "oauth2") || !strcmp(type->valuestring, "openIdConnect"));
    cJSON *req = cJSON_CreateObject(), *scopes = cJSON_CreateArray();
    for (size_t i = 0; scoped && scopes && i < route->n_scopes; i++)
      cJSON_AddItemToArray(scopes, cJSON_CreateString(route->scopes[i]));
    if (!req || !scopes || !cJSON_AddItemToObject(req, sc->string, scopes) || !cJSON_AddItemToArray(any, req)) {
      cJSON_Delete(req), x->failed = true;
      continue;
    }
  }
  if (route->auth == GH__AUTH_OPTIONAL) cJSON_AddItemToArray(any, cJSON_CreateObject()); /* or none at all */
  return any;
}

/* ---- paths ---- */

/* A router template as an OpenAPI path: "{id:int}" → "{id}", "{rest*}" → "{rest}", "*" → "{wildcard}"; each parameter
 * listed. */
static void openapi_path(exporter *x, const char *tmpl, gh__buf *path, cJSON *params) {
  for (const char *p = tmpl; *p; p++) {
    if (*p == '*' && (p == tmpl || p[-1] == '/')) {
      gh__buf_puts(path, "{wildcard}");
      cJSON *param = cJSON_CreateObject();
      cJSON_AddItemToArray(params, param);
      add_string(x, param, "name", "wildcard");
      add_string(x, param, "in", "path");
      cJSON_AddBoolToObject(param, "required", true);
      add_string(x, param, "description", "the rest of the path");
      add_string(x, add_object(x, param, "schema"), "type", "string");
      continue;
    }
    if (*p != '{') {
      gh__buf_put(path, p, 1);
      continue;
    }
    const char *end = strchr(p, '}');
    if (!end) { /* not from the router: kept as written */
      gh__buf_puts(path, p);
      break;
    }
    size_t n = 0;
    while (p + 1 + n < end && p[1 + n] != ':' && p[1 + n] != '*') n++;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)n, p + 1);
    const char *type = p[1 + n] == ':' ? p + 2 + n : NULL;
    gh__buf_put(path, "{", 1), gh__buf_puts(path, name), gh__buf_put(path, "}", 1);
    cJSON *param = cJSON_CreateObject();
    if (!param || !cJSON_AddItemToArray(params, param)) {
      cJSON_Delete(param), x->failed = true;
      break;
    }
    add_string(x, param, "name", name);
    add_string(x, param, "in", "path");
    if (!cJSON_AddBoolToObject(param, "required", true)) x->failed = true;
    cJSON *schema = add_object(x, param, "schema");
    add_string(x, schema, "type", "string");
    if (type && !strncmp(type, "int}", 4))
      add_string(x, schema, "pattern", "^[0-9]+$");
    else if (type && !strncmp(type, "uuid}", 5))
      add_string(x, schema, "format", "uuid");
    else if (p[1 + n] == '*')
      add_string(x, param, "description", "the rest of the path");
    p = end;
  }
}

static void add_response(exporter *x, cJSON *responses, const char *code, const char *description) {
  add_string(x, add_object(x, responses, code), "description", description);
}

static void add_operation(exporter *x, const gh__gw_route *route, const char *method) {
  const gh__api_version *v = route->version;
  gh__buf path = {0};
  cJSON *params = cJSON_CreateArray();
  if (!params) {
    x->failed = true;
    return;
  }
  openapi_path(x, route->template, &path, params);
  if (gh__buf_finish(&path)) {
    cJSON_Delete(params);
    x->failed = true;
    return;
  }
  cJSON *item = add_object(x, x->paths, path.p);
  gh__buf_free(&path);
  char lower[16];
  size_t m = strlen(method) < sizeof lower - 1 ? strlen(method) : sizeof lower - 1;
  for (size_t i = 0; i < m; i++) lower[i] = gh__lower(method[i]);
  lower[m] = 0;
  if (!item || cJSON_GetObjectItemCaseSensitive(item, lower)) { /* two routes, one operation: the first stays */
    cJSON_Delete(params);
    return;
  }
  cJSON *op = add_object(x, item, lower);
  char id[300], tag[300];
  snprintf(tag, sizeof tag, "%s %s", v->api, v->version);
  snprintf(id, sizeof id, "%s.%s.%s", v->api, v->version, route->name);
  if (strchr(route->method, ',') || !strcmp(route->method, "*"))
    snprintf(id + strlen(id), sizeof id - strlen(id), ".%s", lower);
  add_string(x, op, "operationId", id);
  add_string(x, op, "summary", route->name);
  cJSON *tags = cJSON_AddArrayToObject(op, "tags");
  if (!tags || !cJSON_AddItemToArray(tags, cJSON_CreateString(tag))) x->failed = true;
  if (cJSON_GetArraySize(params))
    cJSON_AddItemToObject(op, "parameters", params);
  else
    cJSON_Delete(params);
  if (v->state == GH__API_DEPRECATED) cJSON_AddBoolToObject(op, "deprecated", true);
  cJSON *sec = security(x, route);
  if (sec) cJSON_AddItemToObject(op, "security", sec);
  cJSON *responses = add_object(x, op, "responses");
  add_response(x, responses, "default", "The upstream's answer");
  if (route->auth != GH__AUTH_NONE)
    add_response(x, responses, "401", "Credentials are missing or not accepted (RFC 6750)");
  if (route->policy || route->n_scopes || v->subscription_required)
    add_response(x, responses, "403", "Not allowed: policy, scope or subscription (RFC 9457 problem)");
  if (route->n_limits || x->s->n_plans)
    add_response(x, responses, "429", "A rate limit or quota is exhausted (RateLimit fields)");
  if (route->n_limits) {
    cJSON *limits = cJSON_AddArrayToObject(op, "x-gatehouse-limits");
    for (size_t i = 0; limits && i < route->n_limits; i++) {
      cJSON *l = cJSON_CreateObject();
      cJSON_AddItemToArray(limits, l);
      add_string(x, l, "name", route->limits[i]->name);
      add_string(x, l, "policy", route->limits[i]->policy_field);
    }
  }
  if (v->subscription_required && !cJSON_AddBoolToObject(op, "x-gatehouse-subscription-required", true))
    x->failed = true;
}

/* The version's tag: its title, lifecycle state and dates. */
static void add_tag(exporter *x, const gh__api_version *v) {
  char name[300];
  snprintf(name, sizeof name, "%s %s", v->api, v->version);
  cJSON *tag = cJSON_CreateObject();
  if (!tag || !cJSON_AddItemToArray(x->tags, tag)) {
    cJSON_Delete(tag);
    x->failed = true;
    return;
  }
  add_string(x, tag, "name", name);
  if (v->title) add_string(x, tag, "description", v->title);
  cJSON *life = add_object(x, tag, "x-gatehouse-lifecycle");
  add_string(x, life, "api", v->api);
  add_string(x, life, "version", v->version);
  add_string(x, life, "state", gh__api_state_name(v->state));
  add_string(x, life, "base_path", v->base_path && v->base_path[0] ? v->base_path : NULL);
  add_date(x, life, "deprecated", v->deprecated_s);
  add_date(x, life, "sunset", v->sunset_s);
  add_string(x, life, "successor", v->successor);
  add_string(x, life, "successor_url", v->successor_url);
  add_string(x, life, "deprecation_url", v->deprecation_url);
}

static void add_plans(exporter *x) {
  if (!x->s->n_plans) return;
  cJSON *plans = cJSON_AddArrayToObject(x->root, "x-gatehouse-plans");
  for (size_t i = 0; plans && i < x->s->n_plans; i++) {
    const gh__gw_plan *p = &x->s->plans[i];
    cJSON *plan = cJSON_CreateObject();
    if (!plan || !cJSON_AddItemToArray(plans, plan)) {
      cJSON_Delete(plan);
      x->failed = true;
      return;
    }
    add_string(x, plan, "name", p->name);
    add_string(x, plan, "title", p->title);
    cJSON *limits = cJSON_AddArrayToObject(plan, "limits");
    for (size_t k = 0; limits && k < p->n_limits; k++) {
      cJSON *l = cJSON_CreateObject();
      cJSON_AddItemToArray(limits, l);
      const char *slash = strchr(p->limits[k]->name, ':');
      add_string(x, l, "name", slash ? slash + 1 : p->limits[k]->name);
      add_string(x, l, "policy", p->limits[k]->policy_field);
      if (p->limits[k]->quota && !cJSON_AddBoolToObject(l, "quota", true)) x->failed = true;
    }
  }
}

static bool exported(const gh__api_version *v) {
  return v && (v->state == GH__API_PUBLISHED || v->state == GH__API_DEPRECATED);
}

int gh_gateway_openapi(gh_gateway *gw, char **out, size_t *len) {
  if (!gw || !out || !len) return GH_EINVAL;
  if (!gh__gateway_loaded(gw)) return GH_EMISUSE;
  gh__snapshot *s = gh__gateway_acquire(gw);
  exporter x = {.gw = gw, .s = s, .root = cJSON_CreateObject()};
  if (!x.root || !cJSON_AddStringToObject(x.root, "openapi", "3.1.0")) x.failed = true;
  cJSON *info = x.root ? cJSON_AddObjectToObject(x.root, "info") : NULL;
  char version[40];
  snprintf(version, sizeof version, "config %llu", (unsigned long long)s->version);
  if (!info) x.failed = true;
  add_string(&x, info, "title", "API catalog");
  add_string(&x, info, "version", version);
  add_string(&x, info, "description", "The published APIs of this gateway, exported by gatehouse.");
  x.tags = x.root ? cJSON_AddArrayToObject(x.root, "tags") : NULL;
  x.paths = x.root ? cJSON_AddObjectToObject(x.root, "paths") : NULL;
  cJSON *components = x.root ? cJSON_AddObjectToObject(x.root, "components") : NULL;
  x.schemes = components ? cJSON_AddObjectToObject(components, "securitySchemes") : NULL;
  if (!x.tags || !x.paths || !x.schemes) x.failed = true;
  for (size_t i = 0; !x.failed && i < s->n_realms; i++) realm_schemes(&x, &s->realms[i]);
  for (size_t i = 0; !x.failed && i < s->n_versions; i++)
    if (exported(&s->versions[i])) add_tag(&x, &s->versions[i]);
  for (size_t i = 0; !x.failed && i < s->n_routes; i++) {
    const gh__gw_route *route = &s->routes[i];
    if (!exported(route->version) || !route->method || !route->template) continue;
    static const char *const any[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    if (!strcmp(route->method, "*")) {
      for (size_t k = 0; any[k]; k++) add_operation(&x, route, any[k]);
      continue;
    }
    char methods[128];
    snprintf(methods, sizeof methods, "%s", route->method);
    for (char *save = NULL, *m = strtok_r(methods, ",", &save); m; m = strtok_r(NULL, ",", &save))
      add_operation(&x, route, m);
  }
  if (!x.failed) add_plans(&x);
  gh__gateway_release(gw, s);
  char *text = x.failed ? NULL : cJSON_PrintUnformatted(x.root);
  cJSON_Delete(x.root);
  if (!text) return GH_ENOMEM;
  *len = strlen(text);
  *out = gh__strndup(text, *len);
  cJSON_free(text);
  return *out ? GH_OK : GH_ENOMEM;
}
