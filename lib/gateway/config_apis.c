/* The "apis" and "routes" sections: the catalog (APIs, versions, lifecycle)
 * and the routes that reach it, each route composed from the objects the
 * other sections define, referenced by name. A version's route settings are
 * its routes' defaults. */
#include <string.h>

#include "../core/core.h"
#include "../core/json.h"
#include "config_build.h"
#include "gatehouse/error.h"

typedef struct route_settings {
  const gh__gw_realm *realm;
  int auth; /* -1: not given */
  const cJSON *scopes;
  const gh_policy *policy;
  const cJSON *limits;
  const gh_transform *transform;
  const gh__gw_pool *pool;
  bool grpc;
  const cJSON *graphql;
} route_settings;

static const char *const SETTINGS[] = {"realm",     "auth",     "scopes", "policy", "limits",
                                       "transform", "upstream", "grpc",   "graphql"};

/* Checks members against known ∪ SETTINGS. */
static void check_members(gh__cfg *b, const cJSON *obj, const char *const *known) {
  const char *all[40];
  size_t n = 0;
  for (; known[n] && n < 30; n++) all[n] = known[n];
  for (size_t i = 0; i < sizeof SETTINGS / sizeof *SETTINGS; i++) all[n++] = SETTINGS[i];
  all[n] = NULL;
  gh__report_unknown_members(b->r, obj, all);
}

/* A definition by name. One whose own parser failed is still "found" (as the
 * list itself, never used: a document with errors is not published), so
 * that a reference to it does not report a second, misleading error. */
static const void *by_name(const gh__gw_named *list, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (list[i].name && strcmp(list[i].name, name) == 0) return list[i].object ? list[i].object : (const void *)list;
  return NULL;
}

/* A reference to a definition of another section, reported when it names none. */
static const void *reference(gh__cfg *b, const cJSON *obj, const char *member, const char *kind, const char *sect,
                             const void *(*find)(const gh__snapshot *, const char *)) {
  const char *name = gh__cfg_string(b, obj, member, false);
  if (!name) return NULL;
  const void *found = find(b->s, name);
  if (!found) {
    gh__report_push_name(b->r, member);
    gh__cfg_unknown_reference(b, kind, name, sect);
    gh__report_pop(b->r);
  }
  return found;
}

static const void *find_realm(const gh__snapshot *s, const char *name) {
  for (size_t i = 0; i < s->n_realms; i++)
    if (s->realms[i].name && strcmp(s->realms[i].name, name) == 0) return &s->realms[i];
  return NULL;
}
static const void *find_policy(const gh__snapshot *s, const char *name) {
  return by_name(s->policies, s->n_policies, name);
}
static const void *find_transform(const gh__snapshot *s, const char *name) {
  return by_name(s->transforms, s->n_transforms, name);
}
static const void *find_pool(const gh__snapshot *s, const char *name) {
  for (size_t i = 0; i < s->n_pools; i++)
    if (s->pools[i].name && strcmp(s->pools[i].name, name) == 0) return &s->pools[i];
  return NULL;
}
static const void *find_limit(const gh__snapshot *s, const char *name) {
  for (size_t i = 0; i < s->n_limits; i++)
    if (s->limits[i].name && strcmp(s->limits[i].name, name) == 0) return &s->limits[i];
  return NULL;
}

static void read_settings(gh__cfg *b, const cJSON *obj, route_settings *rs) {
  static const char *const auths[] = {"none", "optional", "required", NULL};
  if (gh__json_member(obj, "realm")) rs->realm = reference(b, obj, "realm", "realm", "realms", find_realm);
  const char *auth = gh__cfg_string(b, obj, "auth", false);
  if (auth) {
    int k = 0;
    while (auths[k] && strcmp(auths[k], auth)) k++;
    if (auths[k]) {
      rs->auth = k;
    } else {
      gh__report_push_name(b->r, "auth");
      gh__report_error(b->r, "must be \"required\", \"optional\" or \"none\"");
      gh__report_pop(b->r);
    }
  }
  const cJSON *scopes = gh__cfg_member(b, obj, "scopes", cJSON_Array, "an array of scope names", false);
  if (scopes) rs->scopes = scopes;
  if (gh__json_member(obj, "policy")) rs->policy = reference(b, obj, "policy", "policy", "policies", find_policy);
  if (gh__json_member(obj, "transform"))
    rs->transform = reference(b, obj, "transform", "transform", "transforms", find_transform);
  if (gh__json_member(obj, "upstream")) rs->pool = reference(b, obj, "upstream", "upstream", "upstreams", find_pool);
  const cJSON *limits = gh__cfg_member(b, obj, "limits", cJSON_Array, "an array of limit names", false);
  if (limits && cJSON_GetArraySize(limits) > GH__ROUTE_MAX_LIMITS) {
    gh__report_push_name(b->r, "limits");
    gh__report_error(b->r, "at most %d limits per route", GH__ROUTE_MAX_LIMITS);
    gh__report_pop(b->r);
  } else if (limits) {
    rs->limits = limits;
    gh__report_push_name(b->r, "limits");
    size_t i = 0;
    for (const cJSON *l = limits->child; l; l = l->next, i++) {
      gh__report_push_index(b->r, i);
      if (!cJSON_IsString(l)) gh__report_error(b->r, "must be a limit's name");
      else if (!find_limit(b->s, l->valuestring))
        gh__cfg_unknown_reference(b, "limit", l->valuestring, "limits");
      gh__report_pop(b->r);
    }
    gh__report_pop(b->r);
  }
  const cJSON *grpc = gh__cfg_member(b, obj, "grpc", cJSON_True | cJSON_False, "true or false", false);
  if (grpc) rs->grpc = cJSON_IsTrue(grpc);
  const cJSON *graphql = gh__cfg_member(b, obj, "graphql", cJSON_Object, "an object of GraphQL limits", false);
  if (graphql) {
    static const char *const known[] = {"max_depth", "max_aliases", "max_root_fields", "max_bytes", "operations", NULL};
    gh__report_push_name(b->r, "graphql");
    gh__report_unknown_members(b->r, graphql, known);
    for (size_t i = 0; i < 4; i++) {
      const cJSON *n = gh__cfg_member(b, graphql, known[i], cJSON_Number, "a whole number", false);
      double max = i == 3 ? 16777216 : 10000;
      if (n && (n->valuedouble < 1 || n->valuedouble > max || n->valuedouble != (double)(long long)n->valuedouble)) {
        gh__report_push_name(b->r, known[i]);
        gh__report_error(b->r, "must be a whole number from 1 to %.0f", max);
        gh__report_pop(b->r);
      }
    }
    gh__cfg_member(b, graphql, "operations", cJSON_Array, "an array of operation names", false);
    gh__report_pop(b->r);
    rs->graphql = graphql;
  }
}

static bool copy_strings(gh__cfg *b, const cJSON *arr, char ***out, size_t *n);

/* The route's GraphQL limits (defaults: depth 10, 30 aliases, 20 root fields, 32 KiB). */
static gh__gw_graphql *graphql_limits(gh__cfg *b, const cJSON *def) {
  gh__gw_graphql *g = gh__calloc(1, sizeof *g);
  if (!g) {
    b->failed_alloc = true;
    return NULL;
  }
  g->limits = (gh__gql_limits){10, 30, 20, 32768};
  const cJSON *n;
  if (cJSON_IsNumber(n = gh__json_member(def, "max_depth"))) g->limits.max_depth = (unsigned)n->valuedouble;
  if (cJSON_IsNumber(n = gh__json_member(def, "max_aliases"))) g->limits.max_aliases = (unsigned)n->valuedouble;
  if (cJSON_IsNumber(n = gh__json_member(def, "max_root_fields"))) g->limits.max_root_fields = (unsigned)n->valuedouble;
  if (cJSON_IsNumber(n = gh__json_member(def, "max_bytes"))) g->limits.max_bytes = (size_t)n->valuedouble;
  copy_strings(b, gh__json_member(def, "operations"), &g->operations, &g->n_operations);
  return g;
}

static bool copy_strings(gh__cfg *b, const cJSON *arr, char ***out, size_t *n) {
  size_t count = 0;
  for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next) count += cJSON_IsString(e);
  if (!count) return true;
  if (!(*out = gh__calloc(count, sizeof **out))) {
    b->failed_alloc = true;
    return false;
  }
  for (const cJSON *e = arr->child; e; e = e->next)
    if (cJSON_IsString(e) && ((*out)[*n] = gh__cfg_dup(b, e->valuestring))) (*n)++;
  return true;
}

/* A route's objects, from its settings (checked where they were read). */
static void compose_route(gh__cfg *b, gh__gw_route *route, const route_settings *rs, const gh__api_version *v) {
  int auth = rs->auth >= 0 ? rs->auth : rs->realm ? GH__AUTH_REQUIRED : GH__AUTH_NONE;
  if (auth != GH__AUTH_NONE && !rs->realm)
    gh__report_error(b->r, "auth \"%s\" needs a realm", auth == GH__AUTH_REQUIRED ? "required" : "optional");
  if (v && v->state == GH__API_DRAFT && (auth != GH__AUTH_REQUIRED || !v->n_draft_roles))
    gh__report_error(b->r, "a draft version's routes need auth \"required\" and the version's \"draft_roles\"");
  route->version = v;
  route->realm = rs->realm;
  route->auth = auth;
  route->policy = rs->policy;
  route->transform = rs->transform;
  route->pool = rs->pool;
  route->grpc = rs->grpc;
  if (rs->graphql && cJSON_IsObject(rs->graphql)) route->graphql = graphql_limits(b, rs->graphql);
  if (rs->scopes) copy_strings(b, rs->scopes, &route->scopes, &route->n_scopes);
  size_t n_limits = 0;
  for (const cJSON *l = rs->limits ? rs->limits->child : NULL; l; l = l->next) n_limits++;
  if (n_limits && !(route->limits = gh__calloc(n_limits, sizeof *route->limits))) b->failed_alloc = true;
  for (const cJSON *l = rs->limits ? rs->limits->child : NULL; l && route->limits; l = l->next) {
    const gh__gw_limit *found = cJSON_IsString(l) ? find_limit(b->s, l->valuestring) : NULL;
    if (found) route->limits[route->n_limits++] = found;
  }
}

/* Each operation of a version's OpenAPI document is a route with the version's settings. */
typedef struct openapi_ctx {
  gh__cfg *b;
  const route_settings *rs;
  const gh__api_version *v;
} openapi_ctx;

static void *openapi_route(void *ud, const char *method, const char *path_template, const char *operation_id) {
  openapi_ctx *c = ud;
  gh__gw_route *route = &c->b->s->routes[c->b->s->n_routes++];
  compose_route(c->b, route, c->rs, c->v);
  gh__buf name = {0};
  if (operation_id) {
    gh__buf_puts(&name, operation_id);
  } else {
    gh__buf_puts(&name, method);
    gh__buf_puts(&name, " ");
    gh__buf_puts(&name, path_template);
  }
  if (gh__buf_finish(&name)) return NULL;
  route->name = name.p;
  route->method = gh__cfg_dup(c->b, method);
  route->template = gh__cfg_dup(c->b, path_template);
  return route;
}

static void add_openapi(gh__cfg *b, const cJSON *doc, const route_settings *rs, const gh__api_version *v) {
  gh__report_push_name(b->r, "openapi");
  if (!rs->pool) gh__report_error(b->r, "no upstream for the document's operations: name one on the version");
  char *text = cJSON_PrintUnformatted(doc), msg[512] = "";
  openapi_ctx ctx = {b, rs, v};
  gh_openapi_import how = {v->base_path, NULL, v->negotiated ? v->version : NULL, openapi_route, &ctx};
  int rc = text ? gh_router_import_openapi(b->s->router, text, strlen(text), &how, msg, sizeof msg) : GH_ENOMEM;
  if (rc == GH_ENOMEM) b->failed_alloc = true;
  else if (rc) gh__cfg_nested_error(b, msg);
  cJSON_free(text);
  gh__report_pop(b->r);
}

static void add_route(gh__cfg *b, const cJSON *def, const route_settings *base, const gh__api_version *v) {
  static const char *const known[] = {"name", "method", "methods", "path", "host", NULL};
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  check_members(b, def, known);
  route_settings rs = *base;
  read_settings(b, def, &rs);
  gh__gw_route *route = &b->s->routes[b->s->n_routes++];
  const char *path = gh__cfg_string(b, def, "path", true);
  const char *host = gh__cfg_string(b, def, "host", false);
  const char *name = gh__cfg_string(b, def, "name", false);
  const cJSON *method = gh__cfg_member(b, def, "method", cJSON_String, "a method (\"GET\", or \"*\" for any)", false);
  const cJSON *methods = gh__cfg_member(b, def, "methods", cJSON_Array, "an array of methods", false);
  if (!method == !methods) gh__report_error(b->r, "give exactly one of \"method\" and \"methods\"");
  if (!rs.pool && !gh__json_member(def, "upstream"))
    gh__report_error(b->r, "no upstream: name one of \"upstreams\" here or on the version");
  compose_route(b, route, &rs, v);
  if (!path) return;
  gh__buf pattern = {0};
  if (v && v->base_path) gh__buf_puts(&pattern, v->base_path);
  gh__buf_puts(&pattern, path);
  if (gh__buf_finish(&pattern)) {
    b->failed_alloc = true;
    return;
  }
  route->name = gh__cfg_dup(b, name);
  gh__report_push_name(b->r, "path");
  for (const cJSON *m = methods ? methods->child : method; m; m = methods ? m->next : NULL) {
    if (!cJSON_IsString(m)) {
      gh__report_error(b->r, "a method is a string");
      continue;
    }
    gh_route_spec spec = {m->valuestring, pattern.p, name, route, host, v && v->negotiated ? v->version : NULL};
    char msg[512] = "";
    int rc = gh_router_add_spec(b->s->router, &spec, msg, sizeof msg);
    if (rc == GH_ENOMEM) b->failed_alloc = true;
    else if (rc) gh__report_error(b->r, "%s", msg);
  }
  gh__report_pop(b->r);
  if (!route->name) { /* as the router names it */
    gh__buf gen = {0};
    gh__buf_puts(&gen, method ? method->valuestring : "*");
    gh__buf_puts(&gen, " ");
    gh__buf_puts(&gen, pattern.p);
    if (gh__buf_finish(&gen)) b->failed_alloc = true;
    else route->name = gen.p;
  }
  gh__buf methods_text = {0}; /* "GET" or "GET,HEAD": what the OpenAPI export lists */
  for (const cJSON *m = methods ? methods->child : method; m; m = methods ? m->next : NULL)
    if (cJSON_IsString(m)) {
      if (methods_text.len) gh__buf_puts(&methods_text, ",");
      gh__buf_puts(&methods_text, m->valuestring);
    }
  if (gh__buf_finish(&methods_text)) b->failed_alloc = true;
  route->method = methods_text.p;
  route->template = pattern.p;
}

static void add_routes(gh__cfg *b, const cJSON *holder, const route_settings *base, const gh__api_version *v) {
  const cJSON *routes = gh__cfg_member(b, holder, "routes", cJSON_Array, "an array of routes", v != NULL);
  gh__report_push_name(b->r, "routes");
  size_t i = 0;
  for (const cJSON *r = routes ? routes->child : NULL; r; r = r->next, i++) {
    gh__report_push_index(b->r, i);
    add_route(b, r, base, v);
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
}

static bool subscription_required(gh__cfg *b, const cJSON *holder, bool otherwise) {
  const cJSON *m = gh__cfg_member(b, holder, "subscription_required", cJSON_True | cJSON_False, "true or false", false);
  return m ? cJSON_IsTrue(m) : otherwise;
}

static void add_version(gh__cfg *b, const char *api, const cJSON *def, const route_settings *base, bool sub_default) {
  static const char *const known[] = {"version", "state", "title", "base_path", "negotiate", "deprecated",
                                      "sunset", "successor", "successor_url", "deprecation_url", "draft_roles",
                                      "routes", "openapi", "subscription_required", NULL};
  static const char *const states[] = {"draft", "published", "deprecated", "retired", NULL};
  if (!cJSON_IsObject(def)) {
    gh__report_error(b->r, "must be an object");
    return;
  }
  check_members(b, def, known);
  gh__api_version *v = &b->s->versions[b->s->n_versions++];
  v->api = gh__cfg_dup(b, api);
  v->version = gh__cfg_dup(b, gh__cfg_string(b, def, "version", true));
  v->title = gh__cfg_dup(b, gh__cfg_string(b, def, "title", false));
  v->state = GH__API_PUBLISHED;
  v->subscription_required = subscription_required(b, def, sub_default);
  const char *state = gh__cfg_string(b, def, "state", false);
  if (state && (v->state = gh__api_state_parse(state)) < 0) {
    const char *near = gh__closest_name(state, states);
    gh__report_push_name(b->r, "state");
    gh__report_error(b->r, "unknown state \"%s\"%s%s%s (draft, published, deprecated, retired)", state,
                     near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
    gh__report_pop(b->r);
    v->state = GH__API_PUBLISHED;
  }
  v->base_path = gh__cfg_dup(b, gh__cfg_string(b, def, "base_path", false));
  if (v->base_path && (v->base_path[0] != '/' || v->base_path[strlen(v->base_path) - 1] == '/')) {
    gh__report_push_name(b->r, "base_path");
    gh__report_error(b->r, "starts with '/' and does not end with one (\"/v1\")");
    gh__report_pop(b->r);
  }
  const cJSON *negotiate = gh__cfg_member(b, def, "negotiate", cJSON_True | cJSON_False, "true or false", false);
  v->negotiated = negotiate && cJSON_IsTrue(negotiate);
  v->deprecated_s = gh__cfg_date(b, def, "deprecated");
  v->sunset_s = gh__cfg_date(b, def, "sunset");
  if (v->deprecated_s != GH__NO_DATE && v->sunset_s != GH__NO_DATE && v->sunset_s < v->deprecated_s) {
    gh__report_push_name(b->r, "sunset");
    gh__report_error(b->r, "the sunset comes before the deprecation (RFC 9745 §4)");
    gh__report_pop(b->r);
  }
  v->successor = gh__cfg_dup(b, gh__cfg_string(b, def, "successor", false));
  v->successor_url = gh__cfg_dup(b, gh__cfg_string(b, def, "successor_url", false));
  v->deprecation_url = gh__cfg_dup(b, gh__cfg_string(b, def, "deprecation_url", false));
  const cJSON *roles = gh__cfg_member(b, def, "draft_roles", cJSON_Array, "an array of role names", false);
  if (roles) copy_strings(b, roles, &v->draft_roles, &v->n_draft_roles);
  if (v->state == GH__API_DRAFT && !v->n_draft_roles)
    gh__report_error(b->r, "a draft version names the roles that may call it in \"draft_roles\"");
  route_settings rs = *base;
  read_settings(b, def, &rs);
  const cJSON *openapi = gh__cfg_member(b, def, "openapi", cJSON_Object, "an OpenAPI 3.x document (JSON)", false);
  if (gh__json_member(def, "routes") || !openapi) add_routes(b, def, &rs, v);
  if (openapi) add_openapi(b, openapi, &rs, v);
}

/* Successors name versions of the same API; their URL defaults to the successor's base path. */
static void link_successors(gh__cfg *b, size_t first, size_t end) {
  for (size_t i = first; i < end; i++) {
    gh__api_version *v = &b->s->versions[i];
    if (!v->successor) continue;
    const gh__api_version *next = NULL;
    for (size_t k = first; k < end; k++)
      if (k != i && b->s->versions[k].version && strcmp(b->s->versions[k].version, v->successor) == 0)
        next = &b->s->versions[k];
    gh__report_push_name(b->r, "versions");
    gh__report_push_index(b->r, i - first);
    gh__report_push_name(b->r, "successor");
    if (!next) gh__report_error(b->r, "no version \"%s\" in this API", v->successor);
    else if (next->state == GH__API_RETIRED) gh__report_error(b->r, "the successor \"%s\" is retired", v->successor);
    gh__report_pop(b->r);
    gh__report_pop(b->r);
    gh__report_pop(b->r);
    if (next && !v->successor_url && next->base_path) v->successor_url = gh__cfg_dup(b, next->base_path);
  }
  for (size_t i = first; i < end; i++)
    if (gh__api_version_render(&b->s->versions[i])) b->failed_alloc = true;
}

static size_t count_routes(const cJSON *holder) {
  size_t n = 0;
  const cJSON *routes = gh__json_member(holder, "routes"), *openapi = gh__json_member(holder, "openapi");
  for (const cJSON *r = cJSON_IsArray(routes) ? routes->child : NULL; r; r = r->next) n++;
  /* an OpenAPI document's operations: every member of a path item may be one */
  const cJSON *paths = cJSON_IsObject(openapi) ? gh__json_member(openapi, "paths") : NULL;
  for (const cJSON *item = cJSON_IsObject(paths) ? paths->child : NULL; item; item = item->next)
    for (const cJSON *m = cJSON_IsObject(item) ? item->child : NULL; m; m = m->next) n++;
  return n;
}

void gh__cfg_apis(gh__cfg *b) {
  static const char *const api_known[] = {"name", "title", "versions", "subscription_required", NULL};
  const route_settings none = {.auth = -1};
  const cJSON *apis = gh__cfg_member(b, b->root, "apis", cJSON_Array, "an array of APIs", false);
  const cJSON *loose = gh__cfg_member(b, b->root, "routes", cJSON_Array, "an array of routes", false);
  size_t n_versions = 0, n_routes = loose ? count_routes(b->root) : 0;
  for (const cJSON *a = apis ? apis->child : NULL; a; a = a->next) {
    const cJSON *versions = gh__json_member(a, "versions");
    for (const cJSON *v = cJSON_IsArray(versions) ? versions->child : NULL; v; v = v->next, n_versions++)
      n_routes += count_routes(v);
  }
  if (gh_router_new(&b->s->router) ||
      (n_versions && !(b->s->versions = gh__calloc(n_versions, sizeof *b->s->versions))) ||
      (n_routes && !(b->s->routes = gh__calloc(n_routes, sizeof *b->s->routes)))) {
    b->failed_alloc = true;
    return;
  }
  gh__report_push_name(b->r, "apis");
  size_t i = 0;
  for (const cJSON *a = apis ? apis->child : NULL; a; a = a->next, i++) {
    gh__report_push_index(b->r, i);
    if (!cJSON_IsObject(a)) {
      gh__report_error(b->r, "must be an object");
      gh__report_pop(b->r);
      continue;
    }
    gh__report_unknown_members(b->r, a, api_known);
    const char *name = gh__cfg_string(b, a, "name", true);
    for (const cJSON *other = apis->child; name && other != a; other = other->next) {
      const cJSON *on = gh__json_member(other, "name");
      if (cJSON_IsString(on) && strcmp(on->valuestring, name) == 0)
        gh__report_error(b->r, "an API named \"%s\" is defined twice", name);
    }
    const cJSON *versions = gh__cfg_member(b, a, "versions", cJSON_Array, "an array of versions", true);
    size_t first = b->s->n_versions, k = 0;
    bool sub_default = subscription_required(b, a, false);
    gh__report_push_name(b->r, "versions");
    for (const cJSON *v = versions ? versions->child : NULL; v; v = v->next, k++) {
      gh__report_push_index(b->r, k);
      add_version(b, name ? name : "", v, &none, sub_default);
      gh__report_pop(b->r);
    }
    gh__report_pop(b->r);
    link_successors(b, first, b->s->n_versions);
    gh__report_pop(b->r);
  }
  gh__report_pop(b->r);
  if (loose) add_routes(b, b->root, &none, NULL);
}
