/* Between the gateway object (gateway.c) and the pipeline (pipeline.c). */
#ifndef GH_PIPELINE_H
#define GH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/gateway.h"
#include "snapshot.h"

typedef struct gh__hook {
  gh_stage_hook_fn fn;
  void *ud;
} gh__hook;

typedef struct gh__hooks {
  gh__hook stage[GH_STAGE_COUNT][3]; /* [stage][GH_HOOK_BEFORE, AFTER, REPLACE] */
  gh_completion_fn completion;
  void *completion_ud;
  gh_gateway_introspect_fn introspect;
  void *introspect_ud;
} gh__hooks;

/* The current snapshot, held until gh__gateway_release (no lock taken). */
gh__snapshot *gh__gateway_acquire(gh_gateway *gw);
void gh__gateway_release(gh_gateway *gw, gh__snapshot *s);
bool gh__gateway_loaded(const gh_gateway *gw);
const gh__hooks *gh__gateway_hooks(const gh_gateway *gw);
/* A fresh 128-bit request id: the gateway's random prefix and a hashed counter. */
void gh__gateway_request_id(gh_gateway *gw, uint64_t id[2]);

#endif
