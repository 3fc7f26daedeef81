/* Shared by router.c and route_openapi.c. */
#ifndef GH_ROUTER_INTERNAL_H
#define GH_ROUTER_INTERNAL_H

#include "gatehouse/router.h"

/* gh_router_add with the pattern shown in matches (m->pattern) differing from
 * the one parsed: an OpenAPI template shown, its typed form parsed. */
int gh__router_add_shown(gh_router_builder *b, const gh_route_spec *spec, const char *shown, char *msg, size_t cap);

#endif
