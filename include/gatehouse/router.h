/**
 * @file gatehouse/router.h
 * @brief The router: method and path to a route, with parameters.
 *
 * Patterns are paths of segments:
 * - static text: `/orders`;
 * - `{name}`: exactly one non-empty segment;
 * - typed: `{id:int}` (digits), `{id:uuid}`, `{name:alpha}`, `{name:alnum}`,
 *   `{name:hex}`, or one character class `{slug:[a-z0-9-]+}` (no general
 *   regular expressions: the cost stays predictable);
 * - several parameters in one segment with literal separators:
 *   `/files/{name}.{ext}` (an earlier parameter takes as much as still lets
 *   the rest match: "a.b.c" gives name "a.b", ext "c");
 * - a final catch-all `{rest*}` or `*`: the rest of the path, possibly empty.
 *
 * Priority does not depend on the order of registration: static > typed
 * parameter > parameter > catch-all, and among equals the longer literal
 * prefix first; when a branch fails further down, the next one is tried.
 * Two routes for the same method whose patterns differ only in parameter
 * names are ambiguous: gh_router_add fails and names both.
 *
 * Lookups: HEAD falls back to GET; a path that exists for other methods gives
 * 405 with Allow; OPTIONS without its own route gives 204 with Allow; else
 * 404. Before matching, the query is cut off and the path canonicalised
 * (gatehouse/path.h: unreserved escapes decoded, empty segments merged): a
 * path it refuses (dot segments, an encoded `/`, broken percent-encoding)
 * gives 400, one longer than GH_ROUTER_MAX_PATH 414. Static text in patterns
 * is canonicalised the same way, so `/caf%C3%A9` and `/café` are one route.
 * Typed parameters check the canonical text (escapes still escaped); the
 * values handed out are percent-decoded. Trailing slashes are strict by
 * default (gh_router_set_trailing_slash); letter case counts unless
 * gh_router_set_ignore_case is on.
 *
 * Lifecycle: gh_router_new, then routes and options (configuring), then
 * gh_router_build; from there the router is immutable and thread-safe, adding
 * answers GH_EMISUSE (as matching does before), and a lookup allocates
 * nothing and writes only to the caller's gh_route_match. To change routes,
 * build a new router and swap it in.
 */
#ifndef GATEHOUSE_ROUTER_H
#define GATEHOUSE_ROUTER_H

#include <stddef.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GH_ROUTER_MAX_PATH 4096 /* = GH_PATH_MAX */
#define GH_ROUTER_MAX_SEGMENTS 64
#define GH_ROUTER_MAX_PARAMS 16

typedef struct gh_router gh_router;

/** An empty router, configuring. @return GH_OK, GH_EINVAL, GH_ENOMEM */
GH_EXTERN int gh_router_new(gh_router **out);
/**
 * Adds a route. method: upper-case token ("GET", "POST", ...) or "*" for any.
 * name: the route's name (NULL: "METHOD pattern"). ud: returned on a match.
 * @return GH_OK; GH_EPARSE (msg says where), GH_EEXIST (ambiguous: msg names
 *   both routes), GH_ETOOBIG, GH_ENOMEM; GH_EMISUSE once built
 */
GH_EXTERN int gh_router_add(gh_router *r, const char *method, const char *pattern, const char *name, void *ud,
                            char *msg, size_t msg_cap);
/**
 * A route with constraints beyond method and path. host: NULL for any host,
 * else "api.example.com" or "*.example.com" (any subdomain, not the domain
 * itself), compared without case. version: NULL for any, else the version the
 * request must ask for (see gh_router_match_request).
 */
typedef struct gh_route_spec {
  const char *method, *pattern, *name;
  void *ud;
  const char *host;
  const char *version;
} gh_route_spec;
/** sizeof(gh_route_spec), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_route_spec_size(void);
/** Adds a route with constraints (above). @return as gh_router_add */
GH_EXTERN int gh_router_add_spec(gh_router *r, const gh_route_spec *spec, char *msg, size_t msg_cap);

/**
 * Adds every operation of an OpenAPI 3.0 / 3.1 JSON document: one route per
 * path and method, named by operationId (else "METHOD template"), matched
 * with typed parameters from the path parameters' schemas (integer -> int,
 * string/uuid -> uuid), and shown (m->pattern) as the document's template.
 * @return GH_OK; GH_EPARSE, GH_EEXIST, GH_ETOOBIG with msg naming the JSON
 *   path ("paths./users/{id}.get: ..."); GH_ENOMEM
 */
GH_EXTERN int gh_router_add_openapi(gh_router *r, const char *json, size_t len, char *msg, size_t msg_cap);
/**
 * Called for each operation gh_router_import_openapi adds: method ("GET"),
 * the shown template (prefix included), the operationId or NULL. Returns the
 * route's ud; NULL fails the import with GH_ENOMEM.
 */
typedef void *(*gh_openapi_route_fn)(void *ud, const char *method, const char *path_template,
                                     const char *operation_id);
/** How gh_router_import_openapi adds the operations. */
typedef struct gh_openapi_import {
  const char *prefix;            /* prepended to every path ("/v2"); NULL: none */
  const char *host, *version;    /* constraints as in gh_route_spec; NULL: none */
  gh_openapi_route_fn route;     /* each operation's ud; NULL: ud NULL */
  void *ud;
} gh_openapi_import;
/** sizeof(gh_openapi_import), for FFI callers that mirror it. */
GH_EXTERN size_t gh_openapi_import_size(void);
/** As gh_router_add_openapi, with a prefix, constraints and a ud per operation (how may be NULL). */
GH_EXTERN int gh_router_import_openapi(gh_router *r, const char *json, size_t len, const gh_openapi_import *how,
                                       char *msg, size_t msg_cap);
/* Trailing slashes: strict ("/a/" is not "/a"), or a miss tries the path
 * with the slash toggled and then answers as that route (ignore) or with a
 * 308 to it (redirect; m->location holds the path and query). */
#define GH_ROUTER_SLASH_STRICT 0
#define GH_ROUTER_SLASH_IGNORE 1
#define GH_ROUTER_SLASH_REDIRECT 2
/** One of GH_ROUTER_SLASH_* (default strict). @return GH_OK; GH_EINVAL; GH_EMISUSE once built */
GH_EXTERN int gh_router_set_trailing_slash(gh_router *r, int mode);
/**
 * The most trie steps one lookup may take (a step: entering a node, or
 * trying a parameter pattern), so that no path can make a lookup expensive,
 * whatever the route set: a route set whose patterns all match a hostile
 * path would otherwise be walked whole. A lookup that spends its budget
 * before it finds a route ends as a miss (404, or 405 when routes of other
 * methods matched on the way). The default suits any route set a person
 * writes: the GitHub API's 203 routes need 12 steps at most.
 * @return GH_OK; GH_EINVAL for 0; GH_EMISUSE once built
 */
GH_EXTERN int gh_router_set_visit_budget(gh_router *r, size_t steps);
#define GH_ROUTER_DEFAULT_VISIT_BUDGET 1024
/** GH_ROUTER_DEFAULT_VISIT_BUDGET. */
GH_EXTERN size_t gh_router_default_visit_budget(void);
/**
 * Matches paths without regard to letter case (for backends that ignore
 * case): patterns and requests are canonicalised with GH_PATH_IGNORE_CASE,
 * and parameter values come out lower-cased. Call before the first
 * gh_router_add. @return GH_OK; GH_EMISUSE after a route was added; GH_EINVAL
 */
GH_EXTERN int gh_router_set_ignore_case(gh_router *r, int on);
/**
 * Ends configuration: the routes become a trie to match against. On failure
 * (GH_ENOMEM) the router is still configuring. @return GH_OK; GH_EMISUSE when built already
 */
GH_EXTERN int gh_router_build(gh_router *r);
/** Frees the router and its routes. NULL is a no-op; not while another thread matches with it. */
GH_EXTERN void gh_router_free(gh_router *r);
/** Routes added. Thread-safe once built. */
GH_EXTERN size_t gh_router_route_count(const gh_router *r);

typedef struct gh_route_param {
  const char *name;
  const char *value; /* percent-decoded: into the request path, or into the match's buffer */
  size_t len;
} gh_route_param;
/** sizeof(gh_route_param), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_route_param_size(void);

/* The match of one lookup. Its fields come first and stay in this order;
 * buffers follow. FFI callers allocate gh_route_match_size() bytes. */
typedef struct gh_route_match {
  int status;          /* 200, 204 (automatic OPTIONS), 308 (trailing-slash redirect), 400, 404, 405, 414 */
  const char *name;    /* the route (200) */
  const char *pattern; /* its pattern */
  void *ud;
  size_t n_params;
  gh_route_param params[GH_ROUTER_MAX_PARAMS];
  char allow[160];      /* 405 and 204: "GET, HEAD, POST" */
  const char *location; /* 308: the canonical path with the slash toggled, and the query */
  const char *path;     /* the canonical path looked up (gatehouse/path.h); NULL on 400 and 414 */
  size_t path_len;
  char canonical[GH_ROUTER_MAX_PATH + 1]; /* the canonical path, when it is not the request's own text */
  char values[GH_ROUTER_MAX_PATH + 1];    /* decoded parameter values, or the location */
} gh_route_match;

/** sizeof(gh_route_match), for callers that cannot see the struct. */
GH_EXTERN size_t gh_route_match_size(void);

/**
 * Finds the route for method and path (the path may carry a query; its
 * api-version parameter selects versioned routes). Routes bound to a host
 * do not match: use gh_router_match_request.
 * @return GH_OK with m->status telling the outcome; GH_EINVAL on NULL arguments;
 *   GH_EMISUSE before gh_router_build
 */
GH_EXTERN int gh_router_match(const gh_router *r, const char *method, size_t method_len, const char *path,
                              size_t path_len, gh_route_match *m);
/**
 * A request with what host and version constraints look at. The version a
 * request asks for is the Accept-Version header if given, else a media type
 * in Accept like "application/vnd.acme.v2+json" (gives "2"), else the query
 * parameter api-version. Among the routes for one path and method, an exact
 * host beats a wildcard (the longer suffix first), which beats none; a route
 * for the asked version beats one for any version. Routes for another host or
 * version do not match (nor count in Allow).
 */
typedef struct gh_route_request {
  const char *method, *path, *host; /* host may carry ":port"; NULL: none */
  size_t method_len, path_len, host_len;
  const char *accept_version, *accept; /* header values, or NULL */
  size_t accept_version_len, accept_len;
} gh_route_request;
/** sizeof(gh_route_request), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_route_request_size(void);
/** Finds the route for a request (see gh_route_request). Thread-safe once built; allocates nothing. @return as
 * gh_router_match
 */
GH_EXTERN int gh_router_match_request(const gh_router *r, const gh_route_request *q, gh_route_match *m);

/** A parameter's value by name, or NULL. */
GH_EXTERN const gh_route_param *gh_route_param_get(const gh_route_match *m, const char *name, size_t name_len);

#ifdef __cplusplus
}
#endif
#endif
