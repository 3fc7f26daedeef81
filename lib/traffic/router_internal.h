/* The router's insides: routes, the trie, and one lookup's walk. Shared by
 * router.c (building), router_match.c (lookups), router_negotiate.c (which
 * route of a path a request gets: method, host, version, 405 and redirects)
 * and route_openapi.c. */
#ifndef GH_ROUTER_INTERNAL_H
#define GH_ROUTER_INTERNAL_H

#include <stdbool.h>
#include <string.h>

#include "../core/core.h"
#include "../core/strmap.h"
#include "gatehouse/router.h"
#include "route_pattern.h"

/* gh_router_add with the pattern shown in matches (m->pattern) differing from
 * the one parsed: an OpenAPI template shown, its typed form parsed. */
int gh__router_add_shown(gh_router *b, const gh_route_spec *spec, const char *shown, char *msg, size_t cap);

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


struct gh_router {
  bool built;          /* configuring (routes added) until gh_router_build; shared after */
  route *routes;       /* stable once built: the trie points into them */
  size_t n, cap;
  gh__strmap shapes;   /* configuring: "METHOD shape" -> route index, for ambiguity */
  int slash;           /* GH_ROUTER_SLASH_* */
  unsigned path_flags; /* GH_PATH_IGNORE_CASE */
  rnode *root;         /* built */
  bool constrained;    /* some route has a host or a version */
  size_t visit_budget; /* trie steps one lookup may take */
};

typedef struct walk {
  const char *method;
  size_t method_len;
  bool head, options, constrained;
  gh__span host, version; /* host lower case, without port */
  char host_buf[256];
  gh__span segs[GH_ROUTER_MAX_SEGMENTS];
  size_t n_segs;
  bool escaped; /* the canonical path holds a '%' escape: parameters may need decoding */
  const char *path_end;
  gh__span vals[GH_ROUTER_MAX_PARAMS];
  const route *found;
  const route *allow[16]; /* routes whose path matched, for Allow */
  size_t n_allow;
  size_t steps_left; /* of the router's visit budget; 0: the walk gives up */
} walk;

static inline int gh__router_cmp_label(const char *a, size_t an, const char *b, size_t bn) {
  if (an != bn) return an < bn ? -1 : 1;
  return memcmp(a, b, an);
}

/* router_negotiate.c */
/* The route of these slots for the request: its method (exact, "*", or GET
 * for HEAD), then the best host, then the asked version; others are noted
 * for Allow. NULL: none fits. */
const route *gh__router_pick(const slots *s, walk *w);
/* Fills w's host and asked version from the request. */
void gh__router_asked(const gh_route_request *q, walk *w);
/* m->allow from the routes noted. */
void gh__router_allow_header(walk *w, gh_route_match *m);
/* A 308 to the canonical path with its trailing slash toggled (GH_OK). */
int gh__router_redirect(const gh_route_request *q, bool had_slash, gh_route_match *m);

#endif
