/* Router lookups: the path canonicalised and cut into segments, then a
 * depth-first walk of the trie (static, then patterns, then the catch-all,
 * backing up when a branch fails further down), collecting the methods of
 * paths that matched so that a miss can say 405 and Allow; the trailing
 * slash toggled where the router was told to. Every step is paid from the
 * router's visit budget, so that no path makes a lookup expensive. */
#include <string.h>

#include "../core/path.h"
#include "router_internal.h"

static bool descend(const rnode *n, size_t i, size_t k, walk *w) {
  if (!w->steps_left) return false; /* spent: the walk gives up, as a miss */
  w->steps_left--;
  if (i == w->n_segs) {
    const route *r = n->end.n ? gh__router_pick(&n->end, w) : NULL;
    if (r) w->found = r;
    return r != NULL;
  }
  const gh__span *s = &w->segs[i];
  size_t lo = 0, hi = n->n_statics;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = gh__router_cmp_label(s->p, s->len, n->statics[mid].label, n->statics[mid].len);
    if (!c) {
      if (descend(n->statics[mid].child, i + 1, k, w)) return true;
      break;
    }
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  for (size_t j = 0; j < n->n_patterns; j++) {
    const pedge *e = &n->patterns[j];
    if (!w->steps_left) return false;
    w->steps_left--;
    if (gh__segpat_match(e->pat, s->p, s->len, w->vals + k) && descend(e->child, i + 1, k + e->pat->params, w))
      return true;
  }
  if (n->rest.n) {
    const route *r = gh__router_pick(&n->rest, w);
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
  /* most paths are canonical already: checked and cut into segments in one pass */
  int n = gh__path_split_canonical(p, len, flags, w->segs, GH_ROUTER_MAX_SEGMENTS, &w->escaped);
  if (!n) {
    const char *why;
    int rc = gh__path_canon(path, len, flags, m->canonical, sizeof m->canonical, &len, &why);
    if (rc) return rc == GH_EPARSE ? 400 : 414;
    p = m->canonical;
    n = gh__path_split_canonical(p, len, flags, w->segs, GH_ROUTER_MAX_SEGMENTS, &w->escaped);
  }
  if (n < 0) return 400; /* more than GH_ROUTER_MAX_SEGMENTS */
  m->path = p, m->path_len = len;
  w->n_segs = (size_t)n;
  w->path_end = p + len;
  return 0;
}

/* The parameters of the route found, percent-decoded where they hold escapes. */
static void hand_out_params(const route *found, const walk *w, gh_route_match *m) {
  m->n_params = found->pat.n_params;
  size_t at = 0;
  for (size_t i = 0; i < m->n_params; i++) {
    gh__span v = w->vals[i];
    if (w->escaped && memchr(v.p, '%', v.len)) { /* decoding shrinks: the values fit where the path did */
      size_t n = gh__pct_decode(v.p, v.len, m->values + at);
      v.p = m->values + at, v.len = n;
      at += n;
    }
    m->params[i] = (gh_route_param){found->names[i], v.p, v.len};
  }
}

int gh_router_match_request(const gh_router *r, const gh_route_request *q, gh_route_match *m) {
  if (!r || !q || !q->method || !q->path || !m) return GH_EINVAL;
  if (!r->built) return GH_EMISUSE;
  walk w;
  w.method = q->method, w.method_len = q->method_len;
  w.head = q->method_len == 4 && !memcmp(q->method, "HEAD", 4);
  w.options = q->method_len == 7 && !memcmp(q->method, "OPTIONS", 7);
  w.found = NULL, w.n_allow = 0;
  w.steps_left = r->visit_budget; /* shared by both walks, the slash toggled or not */
  w.constrained = r->constrained;
  if (r->constrained) {
    gh__router_asked(q, &w);
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
      if (r->slash == GH_ROUTER_SLASH_REDIRECT) return gh__router_redirect(q, ends, m);
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
  if (w.n_allow) gh__router_allow_header(&w, m);
  return GH_OK;
}

int gh_router_match(const gh_router *r, const char *method, size_t method_len, const char *path, size_t path_len,
                    gh_route_match *m) {
  gh_route_request q = {method, path, NULL, method_len, path_len, 0, NULL, NULL, 0, 0};
  return gh_router_match_request(r, &q, m);
}

const gh_route_param *gh_route_param_get(const gh_route_match *m, const char *name, size_t name_len) {
  if (!m || !name) return NULL;
  for (size_t i = 0; i < m->n_params; i++)
    if (strlen(m->params[i].name) == name_len && !memcmp(m->params[i].name, name, name_len)) return &m->params[i];
  return NULL;
}
