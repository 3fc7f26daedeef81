/* Helpers for tests that drive a gateway: a loaded gateway, a request made
 * of literal parts, a response header of a decision. */
#ifndef GH_TEST_GATEWAY_HELPERS_H
#define GH_TEST_GATEWAY_HELPERS_H

#include "gatehouse.h"

/* A gateway loaded with json; fails the test with the errors otherwise. */
gh_gateway *t_gw_load(const char *json);

/* One request: storage for its headers. */
typedef struct t_req {
  gh_request r;
  gh_header h[16];
  char buf[16][2048];
} t_req;

/* Method, path (with query), then "Name: value" headers, NULL-terminated. */
gh_request *t_gw_request(t_req *q, const char *ip, const char *method, const char *path, ...);
/* A response header of the decision (at most once, else the test fails), or NULL; valid until the next call. */
const char *t_gw_header(const gh_decision *d, const char *name);

#endif
