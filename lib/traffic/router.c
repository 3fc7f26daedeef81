/* The router's configuring and building: routes checked and kept as they
 * are added, then, at gh_router_build, a trie of path segments. Each node has its static children (sorted,
 * binary-searched), its pattern children in priority order, and the routes
 * that end at it or continue with a catch-all. Lookups: router_match.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/path.h"
#include "../core/strmap.h"
#include "router_internal.h"

int gh_router_new(gh_router **out) {
  if (!out) return GH_EINVAL;
  gh_router *b = gh__calloc(1, sizeof *b);
  if (!b) return GH_ENOMEM;
  if (gh__strmap_init(&b->shapes)) {
    gh__free(b);
    return GH_ENOMEM;
  }
  b->visit_budget = GH_ROUTER_DEFAULT_VISIT_BUDGET;
  *out = b;
  return GH_OK;
}

static void route_free(route *r) {
  gh__free(r->method), gh__free(r->name), gh__free(r->text), gh__free(r->source), gh__free(r->host), gh__free(r->version);
  gh__route_pattern_free(&r->pat);
}


static bool good_method(const char *m) {
  if (!m || !*m) return false;
  if (!strcmp(m, "*")) return true;
  for (const char *p = m; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_')) return false;
  return strlen(m) <= 32;
}

/* "METHOD shape": what makes two routes ambiguous. */
static int shape_of(const route *r, char *buf, size_t cap, size_t *len) {
  size_t at = (size_t)snprintf(buf, cap, "%s|%s|%s ", r->host ? r->host : "", r->version ? r->version : "", r->method);
  for (size_t i = 0; i < r->pat.n_segs && at < cap; i++) {
    buf[at++] = '/';
    at += gh__segpat_shape(&r->pat.segs[i], buf + at, cap - at);
  }
  if (r->pat.catch_all && at < cap) at += (size_t)snprintf(buf + at, cap - at, "/*");
  if (at >= cap) return GH_ETOOBIG;
  *len = at;
  return GH_OK;
}

static bool good_host(const char *h) {
  if (!*h || strlen(h) > 253) return false;
  if (h[0] == '*' && (h[1] != '.' || !h[2])) return false;
  for (const char *p = h[0] == '*' ? h + 2 : h; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
      return false;
  return true;
}

static bool good_version(const char *v) {
  if (!*v || strlen(v) > 32) return false;
  for (const char *p = v; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
      return false;
  return true;
}

static char *lower_dup(const char *s) {
  size_t n = strlen(s);
  char *d = gh__strndup(s, n);
  if (d) gh__lower_in_place(d, n);
  return d;
}

int gh__router_add_shown(gh_router *b, const gh_route_spec *spec, const char *shown, char *msg, size_t cap) {
  if (b && b->built) return gh__set_msg(msg, cap, "the router is built: routes are added before gh_router_build"), GH_EMISUSE;
  GH__CONFIGURING(b);
  if (!spec || !spec->pattern || !shown) return GH_EINVAL;
  const char *method = spec->method, *pattern = spec->pattern, *name = spec->name;
  void *ud = spec->ud;
  if (!good_method(method)) return gh__set_msg(msg, cap, "method: an upper-case token or \"*\""), GH_EPARSE;
  if (spec->host && !good_host(spec->host))
    return gh__set_msg(msg, cap, "host: a name like api.example.com or *.example.com"), GH_EPARSE;
  if (spec->version && !good_version(spec->version)) return gh__set_msg(msg, cap, "version: 1-32 of [A-Za-z0-9.-]"), GH_EPARSE;
  if (b->n == b->cap) {
    size_t ncap = b->cap ? b->cap * 2 : 16;
    route *v = gh__realloc(b->routes, ncap * sizeof *v);
    if (!v) return GH_ENOMEM;
    b->routes = v, b->cap = ncap;
  }
  route *r = &b->routes[b->n];
  memset(r, 0, sizeof *r);
  int rc = gh__route_pattern_parse(pattern, b->path_flags, &r->pat, msg, cap);
  if (rc) return rc;
  char gen[4200];
  snprintf(gen, sizeof gen, "%s %s", method, shown);
  r->method = gh__strndup(method, strlen(method));
  r->text = gh__strndup(shown, strlen(shown));
  r->source = gh__strndup(pattern, strlen(pattern));
  r->name = name ? gh__strndup(name, strlen(name)) : gh__strndup(gen, strlen(gen));
  r->host = spec->host ? lower_dup(spec->host) : NULL;
  r->version = spec->version ? gh__strndup(spec->version, strlen(spec->version)) : NULL;
  r->ud = ud;
  if (!r->method || !r->text || !r->source || !r->name || (spec->host && !r->host) || (spec->version && !r->version)) {
    route_free(r);
    return GH_ENOMEM;
  }
  gh__route_pattern_names(&r->pat, r->names);
  char shape[8192];
  size_t len;
  uint32_t id;
  int added;
  rc = shape_of(r, shape, sizeof shape, &len);
  if (!rc) rc = gh__strmap_intern(&b->shapes, shape, len, &id, &added);
  if (!rc && !added) {
    const route *other = &b->routes[id];
    gh__set_msg(msg, cap, "%.100s (%.100s) is ambiguous with %.100s (%.100s)", r->name, r->text, other->name, other->text);
    rc = GH_EEXIST;
  }
  if (rc) {
    route_free(r);
    return rc;
  }
  b->n++; /* shape ids follow route indexes: both count up together */
  return GH_OK;
}

int gh_router_add_spec(gh_router *b, const gh_route_spec *spec, char *msg, size_t cap) {
  return gh__router_add_shown(b, spec, spec ? spec->pattern : NULL, msg, cap);
}

int gh_router_add(gh_router *b, const char *method, const char *pattern, const char *name, void *ud, char *msg,
                  size_t cap) {
  gh_route_spec spec = {method, pattern, name, ud, NULL, NULL};
  return gh__router_add_shown(b, &spec, pattern, msg, cap);
}

/* ---- building ---- */

static void node_free(rnode *n) {
  if (!n) return;
  for (size_t i = 0; i < n->n_statics; i++) node_free(n->statics[i].child);
  for (size_t i = 0; i < n->n_patterns; i++) node_free(n->patterns[i].child);
  gh__free(n->statics), gh__free(n->patterns), gh__free(n->end.v), gh__free(n->rest.v);
  gh__free(n);
}

/* While building, static children are found through one map keyed by the
 * parent's address and the label, appended unsorted, and sorted once at the
 * end: no insertion is quadratic in a wide node. */
typedef struct builder {
  gh__strmap keys;
  rnode **found; /* by key id */
  size_t cap;
} builder;

static rnode *static_child(builder *b, rnode *n, const char *label, size_t len) {
  char stack[256], *key = len + sizeof n <= sizeof stack ? stack : gh__malloc(len + sizeof n);
  if (!key) return NULL;
  memcpy(key, &n, sizeof n);
  memcpy(key + sizeof n, label, len);
  uint32_t id;
  int added, rc = gh__strmap_intern(&b->keys, key, len + sizeof n, &id, &added);
  if (key != stack) gh__free(key);
  if (rc) return NULL;
  if (!added) return b->found[id];
  if (id >= b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    rnode **f = gh__realloc(b->found, cap * sizeof *f);
    if (!f) return NULL;
    b->found = f, b->cap = cap;
  }
  if (n->n_statics == n->cap_statics) {
    size_t cap = n->cap_statics ? n->cap_statics * 2 : 4;
    sedge *v = gh__realloc(n->statics, cap * sizeof *v);
    if (!v) return NULL;
    n->statics = v, n->cap_statics = cap;
  }
  rnode *child = gh__calloc(1, sizeof *child);
  if (!child) return NULL;
  n->statics[n->n_statics++] = (sedge){label, len, child};
  return b->found[id] = child;
}

static int cmp_edge(const void *a, const void *b) {
  const sedge *x = a, *y = b;
  return gh__router_cmp_label(x->label, x->len, y->label, y->len);
}

static void sort_statics(rnode *n) {
  if (n->n_statics > 1) qsort(n->statics, n->n_statics, sizeof *n->statics, cmp_edge);
  for (size_t i = 0; i < n->n_statics; i++) sort_statics(n->statics[i].child);
  for (size_t i = 0; i < n->n_patterns; i++) sort_statics(n->patterns[i].child);
}

/* Priority among pattern children: typed before plain, then the longer
 * literal prefix, then more pieces (more literal structure). */
static bool before(const gh__segpat *a, const gh__segpat *b) {
  if (a->rank != b->rank) return a->rank < b->rank;
  if (a->prefix != b->prefix) return a->prefix > b->prefix;
  return a->n > b->n;
}

static rnode *pattern_child(rnode *n, const gh__segpat *pat) {
  for (size_t i = 0; i < n->n_patterns; i++)
    if (gh__segpat_same_shape(n->patterns[i].pat, pat)) return n->patterns[i].child;
  rnode *child = gh__calloc(1, sizeof *child);
  pedge *v = child ? gh__realloc(n->patterns, (n->n_patterns + 1) * sizeof *v) : NULL;
  if (!v) {
    gh__free(child);
    return NULL;
  }
  n->patterns = v;
  size_t at = n->n_patterns;
  while (at > 0 && before(pat, v[at - 1].pat)) {
    v[at] = v[at - 1];
    at--;
  }
  v[at] = (pedge){pat, child};
  n->n_patterns++;
  return child;
}

static int add_slot(slots *s, const route *r) {
  slot *v = gh__realloc(s->v, (s->n + 1) * sizeof *v);
  if (!v) return GH_ENOMEM;
  s->v = v;
  s->v[s->n++] = (slot){r, strlen(r->method)};
  return GH_OK;
}

static int insert(builder *b, rnode *root, const route *r) {
  rnode *n = root;
  for (size_t i = 0; i < r->pat.n_segs && n; i++) {
    const gh__segpat *s = &r->pat.segs[i];
    n = s->rank == 0 ? static_child(b, n, s->pieces[0].text, s->pieces[0].len) : pattern_child(n, s);
  }
  if (!n) return GH_ENOMEM;
  return add_slot(r->pat.catch_all ? &n->rest : &n->end, r);
}

int gh_router_set_trailing_slash(gh_router *b, int mode) {
  GH__CONFIGURING(b);
  if (mode < GH_ROUTER_SLASH_STRICT || mode > GH_ROUTER_SLASH_REDIRECT) return GH_EINVAL;
  b->slash = mode;
  return GH_OK;
}

int gh_router_set_visit_budget(gh_router *b, size_t steps) {
  GH__CONFIGURING(b);
  if (!steps) return GH_EINVAL;
  b->visit_budget = steps;
  return GH_OK;
}

size_t gh_router_default_visit_budget(void) { return GH_ROUTER_DEFAULT_VISIT_BUDGET; }

int gh_router_set_ignore_case(gh_router *b, int on) {
  GH__CONFIGURING(b);
  if (b->n) return GH_EMISUSE; /* routes already added were canonicalised without it */
  b->path_flags = on ? GH_PATH_IGNORE_CASE : 0;
  return GH_OK;
}

size_t gh_route_match_size(void) { return sizeof(gh_route_match); }

int gh_router_build(gh_router *r) {
  GH__CONFIGURING(r);
  if (r->n && r->n < r->cap) { /* no route is added from here: the array sheds its growth room first */
    route *fit = gh__realloc(r->routes, r->n * sizeof *fit);
    if (fit) r->routes = fit, r->cap = r->n;
  }
  r->root = gh__calloc(1, sizeof *r->root);
  int rc = r->root ? GH_OK : GH_ENOMEM;
  builder tb = {0};
  if (!rc) rc = gh__strmap_init(&tb.keys);
  r->constrained = false;
  for (size_t i = 0; i < r->n && !rc; i++) { /* the routes stay where they are: nothing is added from here */
    rc = insert(&tb, r->root, &r->routes[i]);
    r->constrained |= r->routes[i].host || r->routes[i].version;
  }
  if (!rc) sort_statics(r->root);
  gh__strmap_free(&tb.keys);
  gh__free(tb.found);
  if (rc) { /* still configuring, as before the call */
    node_free(r->root);
    r->root = NULL;
    return rc;
  }
  gh__strmap_free(&r->shapes); /* only adding needed it */
  r->built = true;
  return GH_OK;
}

void gh_router_free(gh_router *r) {
  if (!r) return;
  node_free(r->root);
  for (size_t i = 0; r->routes && i < r->n; i++) route_free(&r->routes[i]);
  gh__free(r->routes);
  if (!r->built) gh__strmap_free(&r->shapes);
  gh__free(r);
}

size_t gh_router_route_count(const gh_router *r) { return r ? r->n : 0; }

size_t gh_route_spec_size(void) { return sizeof(gh_route_spec); }

size_t gh_route_param_size(void) { return sizeof(gh_route_param); }

size_t gh_route_request_size(void) { return sizeof(gh_route_request); }
