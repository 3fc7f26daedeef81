/* HTTP negotiation among the routes of one path: the method (HEAD falls
 * back to GET, "*" takes any), the host (exact over wildcard over none), the
 * version the request asks for (header, media type or query), the Allow
 * list of a 405 or 204, and trailing-slash redirects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_internal.h"

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
const route *gh__router_pick(const slots *s, walk *w) {
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

static int cmp_method(const void *a, const void *b) {
  return strcmp((*(const route *const *)a)->method, (*(const route *const *)b)->method);
}

void gh__router_allow_header(walk *w, gh_route_match *m) {
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

/* Where needle first stands in (p, n), or NULL. */
static const char *find(const char *p, size_t n, const char *needle, size_t k) {
  for (size_t i = 0; p && i + k <= n; i++)
    if (!memcmp(p + i, needle, k)) return p + i;
  return NULL;
}

/* "application/vnd.acme.v2+json" gives "2". */
static gh__span media_version(const char *accept, size_t len) {
  if (!accept) return (gh__span){NULL, 0};
  const char *end = accept + len, *vnd = find(accept, len, "vnd.", 4);
  for (const char *p = vnd; p && (p = find(p, (size_t)(end - p), ".v", 2));) {
    p += 2;
    size_t n = 0;
    while (p + n < end && !strchr("+;, ", p[n])) n++;
    if (n && p[0] >= '0' && p[0] <= '9') return (gh__span){p, n};
  }
  return (gh__span){NULL, 0};
}

/* A 308 to the canonical path with its trailing slash toggled, query kept. */
int gh__router_redirect(const gh_route_request *q, bool had_slash, gh_route_match *m) {
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

/* The host and the version a request asks for, when some route cares. */
void gh__router_asked(const gh_route_request *q, walk *w) {
  request_host(q->host, q->host_len, w);
  w->version = q->accept_version && q->accept_version_len ? (gh__span){q->accept_version, q->accept_version_len}
                                                          : media_version(q->accept, q->accept_len);
  if (!w->version.len) w->version = query_version(q->path, q->path_len);
}
