/* The GraphQL guard as a pipeline step (graphql_stage.c). */
#ifndef GH_GRAPHQL_STAGE_H
#define GH_GRAPHQL_STAGE_H

#include "gatehouse/gateway.h"

/* Reads and checks the route's GraphQL operation: 0 to go on, 1 when the decision answers 400. */
int gh__graphql_stage(gh_decision *d, const gh_request *q);

#endif
