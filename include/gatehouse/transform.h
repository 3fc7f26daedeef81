/**
 * @file gatehouse/transform.h
 * @brief Request and response transformation with templates.
 *
 * A transformation is built once from JSON:
 *
 *     {"request": {"headers": {"set": {"X-User-Id": "{claims.sub}"},
 *                              "add": {"X-Via": "gatehouse"},
 *                              "remove": ["X-Debug"],
 *                              "rename": {"X-Old": "X-New"}},
 *                  "path": "/orders/{params.id}",
 *                  "query": {"add": {"source": "gateway"}, "remove": ["debug"]},
 *                  "strip_credentials": true},
 *      "response": {"headers": {"set": {"X-Frame-Options": "DENY"}, "remove": ["Server"]}}}
 *
 * Templates are text with variables in braces: {claims.DOTTED.PATH},
 * {params.NAME} (the route's parameters), {subject}, {client_id}, {realm},
 * {route}; "{{" and "}}" are literal braces. Unknown variables and broken
 * templates are errors at build time, named by their JSON path. An absent
 * variable renders empty. Header values that would carry CR, LF or NUL are
 * refused when applied (GH_EDENIED), never forwarded. Values put into the
 * path or the query are percent-encoded. A rewritten path comes out canonical
 * (gatehouse/path.h), and is refused (GH_EDENIED) when it renders a dot
 * segment (a claim ".." must not climb out of /tenants/{claims.tenant}), an
 * encoded '/' (a value holding a '/'), or an empty segment (a value that is
 * absent or empty).
 *
 * Order for a request: remove, rename, set, add; credentials stripped
 * (Authorization, Proxy-Authorization, DPoP, X-API-Key; on unless
 * "strip_credentials": false) before the headers the transformation sets.
 * Header names compare without case. A built transformation is immutable and
 * thread-safe.
 */
#ifndef GATEHOUSE_TRANSFORM_H
#define GATEHOUSE_TRANSFORM_H

#include <stddef.h>

#include "gatehouse/attrs.h"
#include "gatehouse/export.h"
#include "gatehouse/http.h"
#include "gatehouse/router.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_transform gh_transform;

/** Parses a transformation document (above) into an immutable, thread-safe object. @return GH_OK; GH_EPARSE (msg
 * names the JSON path); GH_ETOOBIG; GH_ENOMEM
 */
GH_EXTERN int gh_transform_parse(gh_transform **out, const char *json, size_t len, char *msg, size_t msg_cap);
/** Frees the transformation. NULL is a no-op. */
GH_EXTERN void gh_transform_free(gh_transform *t);


/** What a transformation reads: the request's headers and target, and who and which route. */
typedef struct gh_transform_input {
  const gh_header *headers;
  size_t n_headers;
  const char *path; /* with its query, as received */
  size_t path_len;
  gh_attr_fn attr;              /* the caller's attributes (gatehouse/attrs.h); NULL: none */
  void *attr_ud;
  const gh_route_match *route;  /* NULL: none */
} gh_transform_input;
/** sizeof(gh_transform_input), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_transform_input_size(void);

/** The new header list and path (with query); one allocation, freed with gh_transform_result_free. */
typedef struct gh_transform_result {
  gh_header *headers;
  size_t n_headers;
  const char *path;
  size_t path_len;
  void *block;
} gh_transform_result;
/** sizeof(gh_transform_result), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_transform_result_size(void);

/**
 * Applies the request part. @return GH_OK; GH_EDENIED when a rendered header
 * value would carry CR, LF or NUL (msg names the header) or the rewritten path
 * is refused (msg says why); GH_ETOOBIG; GH_ENOMEM
 */
GH_EXTERN int gh_transform_request(const gh_transform *t, const gh_transform_input *in, gh_transform_result *out,
                                   char *msg, size_t msg_cap);
/** Applies the response part to the response's headers (in->path unused). */
GH_EXTERN int gh_transform_response(const gh_transform *t, const gh_transform_input *in, gh_transform_result *out,
                                    char *msg, size_t msg_cap);
/** Frees what gh_transform_request or gh_transform_response returned. NULL is a no-op. */
GH_EXTERN void gh_transform_result_free(gh_transform_result *r);

#ifdef __cplusplus
}
#endif
#endif
