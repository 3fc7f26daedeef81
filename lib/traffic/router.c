/* The router: a trie of path segments. Each node has its static children
 * (sorted, binary-searched), its pattern children in priority order, and the
 * routes that end at it or continue with a catch-all. A lookup walks it depth
 * first: static, then patterns, then the catch-all, backing up when a branch
 * fails further down, collecting the methods of paths that matched so that a
 * miss can say 405 and Allow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../core/path.h"
#include "../core/strmap.h"
#include "gatehouse/router.h"
#include "route_pattern.h"
#include "router_internal.h"

typedef struct route {
  char *method, *name, *text; /* text: the pattern as shown (an OpenAPI template for imports) */
  char *source;               /* the pattern as parsed */
  char *host;                 /* lower case; NULL: any; "*.x.y" a wildcard */
  char *version;              /* NULL: any */
  void *ud;
  gh__route_pattern pat;
  const char *names[GH_ROUTER_MAX_PARAMS];
} route;

typedef struct slot {
  const route *r;
  size_t method_len;
} slot;

typedef struct slots {
  slot *v;
  size_t n;
} slots;

typedef struct rnode rnode;
typedef struct sedge {
  const char *label;
  size_t len;
  rnode *child;
} sedge;
typedef struct pedge {
  const gh__segpat *pat; /* the first route's; all routes here share its shape */
  rnode *child;
} pedge;

struct rnode {
  sedge *statics;
  size_t n_statics, cap_statics;
  pedge *patterns;
  size_t n_patterns;
  slots end, rest; /* routes ending here; routes with a catch-all here */
};

struct gh_router_builder {
  route *routes;
  size_t n, cap;
  gh__strmap shapes; /* "METHOD shape" -> route index */
  int slash;         /* GH_ROUTER_SLASH_* */
  unsigned path_flags; /* GH_PATH_IGNORE_CASE */
};

struct gh_router {
  route *routes;
  size_t n;
  rnode *root;
  bool constrained; /* some route has a host or a version */
  int slash;
  unsigned path_flags;
};

int gh_router_builder_new(gh_router_builder **out) {
  if (!out) return GH_EINVAL;
  gh_router_builder *b = gh__calloc(1, sizeof *b);
  if (!b) return GH_ENOMEM;
  if (gh__strmap_init(&b->shapes)) {
    gh__free(b);
    return GH_ENOMEM;
  }
  *out = b;
  return GH_OK;
}

static void route_free(route *r) {
  gh__free(r->method), gh__free(r->name), gh__free(r->text), gh__free(r->source), gh__free(r->host), gh__free(r->version);
  gh__route_pattern_free(&r->pat);
}

void gh_router_builder_free(gh_router_builder *b) {
  if (!b) return;
  for (size_t i = 0; i < b->n; i++) route_free(&b->routes[i]);
  gh__free(b->routes);
  gh__strmap_free(&b->shapes);
  gh__free(b);
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

int gh__router_add_shown(gh_router_builder *b, const gh_route_spec *spec, const char *shown, char *msg, size_t cap) {
  if (!b || !spec || !spec->pattern || !shown) return GH_EINVAL;
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

int gh_router_add_spec(gh_router_builder *b, const gh_route_spec *spec, char *msg, size_t cap) {
  return gh__router_add_shown(b, spec, spec ? spec->pattern : NULL, msg, cap);
}

int gh_router_add(gh_router_builder *b, const char *method, const char *pattern, const char *name, void *ud, char *msg,
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

static int cmp_label(const char *a, size_t an, const char *b, size_t bn) {
  if (an != bn) return an < bn ? -1 : 1;
  return memcmp(a, b, an);
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
  return cmp_label(x->label, x->len, y->label, y->len);
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

int gh_router_builder_set_trailing_slash(gh_router_builder *b, int mode) {
  if (!b || mode < GH_ROUTER_SLASH_STRICT || mode > GH_ROUTER_SLASH_REDIRECT) return GH_EINVAL;
  b->slash = mode;
  return GH_OK;
}

int gh_router_builder_set_ignore_case(gh_router_builder *b, int on) {
  if (!b) return GH_EINVAL;
  if (b->n) return GH_EMISUSE; /* routes already added were canonicalised without it */
  b->path_flags = on ? GH_PATH_IGNORE_CASE : 0;
  return GH_OK;
}

size_t gh_route_match_size(void) { return sizeof(gh_route_match); }

int gh_router_build(const gh_router_builder *b, gh_router **out) {
  if (!b || !out) return GH_EINVAL;
  *out = NULL;
  gh_router *r = gh__calloc(1, sizeof *r);
  if (!r) return GH_ENOMEM;
  r->slash = b->slash;
  r->path_flags = b->path_flags;
  r->routes = gh__calloc(b->n ? b->n : 1, sizeof *r->routes);
  r->root = gh__calloc(1, sizeof *r->root);
  int rc = r->routes && r->root ? GH_OK : GH_ENOMEM;
  char msg[8];
  for (size_t i = 0; i < b->n && !rc; i++) { /* each route parsed again: the router owns all it points to */
    const route *from = &b->routes[i];
    route *to = &r->routes[r->n];
    to->method = gh__strndup(from->method, strlen(from->method));
    to->name = gh__strndup(from->name, strlen(from->name));
    to->text = gh__strndup(from->text, strlen(from->text));
    to->source = gh__strndup(from->source, strlen(from->source));
    to->host = from->host ? gh__strndup(from->host, strlen(from->host)) : NULL;
    to->version = from->version ? gh__strndup(from->version, strlen(from->version)) : NULL;
    to->ud = from->ud;
    if (!to->method || !to->name || !to->text || !to->source || (from->host && !to->host) ||
        (from->version && !to->version))
      rc = GH_ENOMEM;
    if (!rc) rc = gh__route_pattern_parse(to->source, b->path_flags, &to->pat, msg, sizeof msg);
    r->n++;
    if (!rc) gh__route_pattern_names(&to->pat, to->names);
  }
  builder tb = {0};
  if (!rc) rc = gh__strmap_init(&tb.keys);
  for (size_t i = 0; i < r->n && !rc; i++) {
    rc = insert(&tb, r->root, &r->routes[i]);
    r->constrained |= r->routes[i].host || r->routes[i].version;
  }
  if (!rc) sort_statics(r->root);
  gh__strmap_free(&tb.keys);
  gh__free(tb.found);
  if (rc) {
    gh_router_free(r);
    return rc;
  }
  *out = r;
  return GH_OK;
}

void gh_router_free(gh_router *r) {
  if (!r) return;
  node_free(r->root);
  for (size_t i = 0; r->routes && i < r->n; i++) route_free(&r->routes[i]);
  gh__free(r->routes);
  gh__free(r);
}

size_t gh_router_route_count(const gh_router *r) { return r ? r->n : 0; }

/* ---- lookups ---- */

typedef struct walk {
  const char *method;
  size_t method_len;
  bool head, options, constrained;
  gh__span host, version; /* host lower case, without port */
  char host_buf[256];
  gh__span segs[GH_ROUTER_MAX_SEGMENTS];
  size_t n_segs;
  const char *path_end;
  gh__span vals[GH_ROUTER_MAX_PARAMS];
  const route *found;
  const route *allow[16]; /* routes whose path matched, for Allow */
  size_t n_allow;
} walk;

static void note_allowed(walk *w, const route *r) {
  for (size_t i = 0; i < w->n_allow; i++)
    if (!strcmp(w->allow[i]->method, r->method)) return;
  if (w->n_allow < 16) w->allow[w->n_allow++] = r;
}

/* How well a route's host fits the request's: 0 not at all; else exact
 * above wildcard (longer suffixes first) above any. */
static size_t host_fit(const route *r, const walk *w) {
  if (!r->host) return 1;
  size_t n = strlen(r->host);
  if (r->host[0] != '*') return w->host.len == n && !memcmp(w->host.p, r->host, n) ? 1000 : 0;
  size_t suffix = n - 1; /* ".example.com" */
  return w->host.len > suffix && !memcmp(w->host.p + w->host.len - suffix, r->host + 1, suffix) ? 1 + suffix : 0;
}

static size_t version_fit(const route *r, const walk *w) {
  if (!r->version) return 1;
  size_t n = strlen(r->version);
  return w->version.len == n && !memcmp(w->version.p, r->version, n) ? 2 : 0;
}

/* The route of these slots for the request: its method (exact, "*", or GET
 * for HEAD), then the best host, then the asked version. */
static const route *pick(const slots *s, walk *w) {
  if (!w->constrained) { /* no hosts, no versions: the method alone decides */
    const route *any = NULL, *get = NULL;
    for (size_t i = 0; i < s->n; i++) {
      const slot *x = &s->v[i];
      if (x->method_len == w->method_len && !memcmp(x->r->method, w->method, w->method_len)) return x->r;
      if (x->method_len == 1 && x->r->method[0] == '*') any = x->r;
      else if (w->head && x->method_len == 3 && !memcmp(x->r->method, "GET", 3)) get = x->r;
      else note_allowed(w, x->r);
    }
    return any ? any : get;
  }
  const route *best = NULL;
  size_t best_score = 0;
  for (size_t i = 0; i < s->n; i++) {
    const slot *x = &s->v[i];
    size_t fit = host_fit(x->r, w) * 4 * version_fit(x->r, w);
    if (!fit) continue; /* another host or version: as if absent */
    size_t method = x->method_len == w->method_len && !memcmp(x->r->method, w->method, w->method_len) ? 3
                    : x->method_len == 1 && x->r->method[0] == '*'                                    ? 2
                    : w->head && x->method_len == 3 && !memcmp(x->r->method, "GET", 3)                ? 1
                                                                                                       : 0;
    if (!method) {
      note_allowed(w, x->r);
      continue;
    }
    size_t score = method * 100000 + fit;
    if (score > best_score) best = x->r, best_score = score;
  }
  return best;
}

static bool descend(const rnode *n, size_t i, size_t k, walk *w) {
  if (i == w->n_segs) {
    const route *r = n->end.n ? pick(&n->end, w) : NULL;
    if (r) w->found = r;
    return r != NULL;
  }
  const gh__span *s = &w->segs[i];
  size_t lo = 0, hi = n->n_statics;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = cmp_label(s->p, s->len, n->statics[mid].label, n->statics[mid].len);
    if (!c) {
      if (descend(n->statics[mid].child, i + 1, k, w)) return true;
      break;
    }
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  for (size_t j = 0; j < n->n_patterns; j++) {
    const pedge *e = &n->patterns[j];
    if (gh__segpat_match(e->pat, s->p, s->len, w->vals + k) && descend(e->child, i + 1, k + e->pat->params, w))
      return true;
  }
  if (n->rest.n) {
    const route *r = pick(&n->rest, w);
    if (r) {
      w->vals[k] = (gh__span){s->p, (size_t)(w->path_end - s->p)};
      w->found = r;
      return true;
    }
  }
  return false;
}

/* Query cut, bounds, the canonical path (the request's own text when it is
 * canonical already, else m->canonical), then segments. Returns the HTTP
 * status of a bad path, or 0. */
static int prepare(const char *path, size_t len, unsigned flags, walk *w, gh_route_match *m) {
  const char *q = memchr(path, '?', len);
  if (q) len = (size_t)(q - path);
  if (len > GH_ROUTER_MAX_PATH) return 414;
  const char *p = path;
  if (!gh__path_is_canonical(path, len, flags)) {
    const char *why;
    int rc = gh__path_canon(path, len, flags, m->canonical, sizeof m->canonical, &len, &why);
    if (rc) return rc == GH_EPARSE ? 400 : 414;
    p = m->canonical;
  }
  m->path = p, m->path_len = len;
  w->n_segs = 0;
  w->path_end = p + len;
  for (size_t start = 1;;) {
    const char *slash = memchr(p + start, '/', len - start);
    size_t end = slash ? (size_t)(slash - p) : len;
    if (w->n_segs == GH_ROUTER_MAX_SEGMENTS) return 400;
    w->segs[w->n_segs++] = (gh__span){p + start, end - start};
    if (!slash) break;
    start = end + 1;
  }
  return 0;
}

static int cmp_method(const void *a, const void *b) {
  return strcmp((*(const route *const *)a)->method, (*(const route *const *)b)->method);
}

static void allow_header(walk *w, gh_route_match *m) {
  qsort(w->allow, w->n_allow, sizeof w->allow[0], cmp_method);
  size_t at = 0;
  bool get = false, head = false;
  for (size_t i = 0; i < w->n_allow; i++) {
    get |= !strcmp(w->allow[i]->method, "GET");
    head |= !strcmp(w->allow[i]->method, "HEAD");
  }
  for (size_t i = 0; i < w->n_allow + 2; i++) {
    const char *name = i < w->n_allow ? w->allow[i]->method : i == w->n_allow ? (get && !head ? "HEAD" : NULL) : "OPTIONS";
    if (!name) continue;
    int n = snprintf(m->allow + at, sizeof m->allow - at, "%s%s", at ? ", " : "", name);
    if (n < 0 || (size_t)n >= sizeof m->allow - at) break;
    at += (size_t)n;
  }
}

/* "api-version" from the query, if any. */
static gh__span query_version(const char *path, size_t len) {
  const char *q = memchr(path, '?', len), *end = path + len;
  static const char key[] = "api-version=";
  for (const char *p = q ? q + 1 : end; p < end;) {
    const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
    if ((size_t)(stop - p) > sizeof key - 1 && !memcmp(p, key, sizeof key - 1))
      return (gh__span){p + sizeof key - 1, (size_t)(stop - p) - (sizeof key - 1)};
    p = stop + 1;
  }
  return (gh__span){NULL, 0};
}

/* "application/vnd.acme.v2+json" gives "2". */
static gh__span media_version(const char *accept) {
  const char *vnd = accept ? strstr(accept, "vnd.") : NULL;
  for (const char *p = vnd; p && (p = strstr(p, ".v"));) {
    p += 2;
    size_t n = strcspn(p, "+;, ");
    if (n && p[0] >= '0' && p[0] <= '9') return (gh__span){p, n};
  }
  return (gh__span){NULL, 0};
}

/* A 308 to the canonical path with its trailing slash toggled, query kept. */
static int redirect(const gh_route_request *q, bool had_slash, gh_route_match *m) {
  const char *query = memchr(q->path, '?', q->path_len);
  size_t query_len = query ? (size_t)(q->path + q->path_len - query) : 0;
  size_t path_len = m->path_len - (had_slash ? 1 : 0);
  m->status = 404;
  if (path_len + 1 + query_len >= sizeof m->values) return GH_OK;
  char *out = m->values;
  memcpy(out, m->path, path_len);
  size_t at = path_len;
  if (!had_slash) out[at++] = '/';
  if (query_len) memcpy(out + at, query, query_len);
  out[at + query_len] = 0;
  m->status = 308, m->location = out;
  m->n_params = 0, m->name = m->pattern = NULL, m->ud = NULL;
  return GH_OK;
}

/* The parameters of the route found, percent-decoded where they hold escapes. */
static void hand_out_params(const route *found, const walk *w, gh_route_match *m) {
  m->n_params = found->pat.n_params;
  size_t at = 0;
  for (size_t i = 0; i < m->n_params; i++) {
    gh__span v = w->vals[i];
    if (memchr(v.p, '%', v.len)) { /* decoding shrinks: the values fit where the path did */
      size_t n = gh__pct_decode(v.p, v.len, m->values + at);
      v.p = m->values + at, v.len = n;
      at += n;
    }
    m->params[i] = (gh_route_param){found->names[i], v.p, v.len};
  }
}

static void request_host(const char *h, size_t len, walk *w) {
  w->host = (gh__span){w->host_buf, 0};
  if (!h) return;
  const char *colon = len && h[0] != '[' ? memchr(h, ':', len) : NULL;
  if (colon) len = (size_t)(colon - h);
  if (len && h[len - 1] == '.') len--; /* "example.com." is "example.com" */
  if (len >= sizeof w->host_buf) return;
  for (size_t i = 0; i < len; i++) w->host_buf[i] = gh__lower(h[i]);
  w->host.len = len;
}

int gh_router_match_request(const gh_router *r, const gh_route_request *q, gh_route_match *m) {
  if (!r || !q || !q->method || !q->path || !m) return GH_EINVAL;
  walk w;
  w.method = q->method, w.method_len = q->method_len;
  w.head = q->method_len == 4 && !memcmp(q->method, "HEAD", 4);
  w.options = q->method_len == 7 && !memcmp(q->method, "OPTIONS", 7);
  w.found = NULL, w.n_allow = 0;
  w.constrained = r->constrained;
  if (r->constrained) {
    request_host(q->host, q->host_len, &w);
    w.version = q->accept_version && *q->accept_version ? (gh__span){q->accept_version, strlen(q->accept_version)}
                                                        : media_version(q->accept);
    if (!w.version.len) w.version = query_version(q->path, q->path_len);
  }
  m->name = m->pattern = NULL, m->ud = NULL, m->n_params = 0, m->allow[0] = 0, m->location = NULL;
  m->path = NULL, m->path_len = 0;
  int bad = prepare(q->path, q->path_len, r->path_flags, &w, m);
  if (bad) {
    m->status = bad;
    return GH_OK;
  }
  bool found_it = descend(r->root, 0, 0, &w);
  const route *first = found_it ? w.found : NULL;
  bool root = w.n_segs == 1 && !w.segs[0].len; /* "/" has no slash to toggle */
  /* The trailing slash toggled, on a miss, and also when only a catch-all
   * took the path: "/orders/7/secret/" belongs to "/orders/{id}/secret",
   * not to "/{any*}", where a trailing slash does not count. */
  if (!root && r->slash != GH_ROUTER_SLASH_STRICT && (first ? first->pat.catch_all : !w.n_allow)) {
    gh__span kept[GH_ROUTER_MAX_PARAMS];
    size_t kept_segs = w.n_segs;
    const char *kept_end = w.path_end;
    if (first) memcpy(kept, w.vals, sizeof kept);
    bool ends = w.n_segs > 1 && !w.segs[w.n_segs - 1].len;
    if (ends) w.n_segs--;
    else if (w.n_segs < GH_ROUTER_MAX_SEGMENTS) w.segs[w.n_segs++] = (gh__span){w.path_end, 0};
    if (ends) w.path_end = w.segs[w.n_segs - 1].p + w.segs[w.n_segs - 1].len;
    if (descend(r->root, 0, 0, &w) && (!first || !w.found->pat.catch_all)) {
      if (r->slash == GH_ROUTER_SLASH_REDIRECT) return redirect(q, ends, m);
      found_it = true;
    } else if (first) { /* the catch-all keeps the path as it came */
      w.found = first, w.n_segs = kept_segs, w.path_end = kept_end;
      memcpy(w.vals, kept, sizeof kept);
    }
  }
  if (found_it) {
    const route *found = w.found;
    m->status = 200;
    m->name = found->name, m->pattern = found->text, m->ud = found->ud;
    hand_out_params(found, &w, m);
    return GH_OK;
  }
  m->status = !w.n_allow ? 404 : w.options ? 204 : 405;
  if (w.n_allow) allow_header(&w, m);
  return GH_OK;
}

int gh_router_match(const gh_router *r, const char *method, size_t method_len, const char *path, size_t path_len,
                    gh_route_match *m) {
  gh_route_request q = {method, path, NULL, method_len, path_len, 0, NULL, NULL};
  return gh_router_match_request(r, &q, m);
}

const gh_route_param *gh_route_param_get(const gh_route_match *m, const char *name) {
  if (!m || !name) return NULL;
  for (size_t i = 0; i < m->n_params; i++)
    if (!strcmp(m->params[i].name, name)) return &m->params[i];
  return NULL;
}
