/* Between the gateway object (gateway.c) and the pipeline (pipeline.c). */
#ifndef GH_PIPELINE_H
#define GH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/gateway.h"
#include "gatehouse/metrics.h"
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
  gh_access_log_fn access_log;
  void *access_log_ud;
} gh__hooks;

/* The current snapshot, held until gh__gateway_release (no lock taken). */
gh__snapshot *gh__gateway_acquire(gh_gateway *gw);
void gh__gateway_release(gh_gateway *gw, gh__snapshot *s);
bool gh__gateway_loaded(const gh_gateway *gw);
const gh__hooks *gh__gateway_hooks(const gh_gateway *gw);
/* A copy of the last good document fetched from url (a key set or a discovery document), or NULL. */
char *gh__gateway_fetched_copy(gh_gateway *gw, const char *url, size_t *len);
/* Records a completed decision: metrics, usage and the access log (analytics.c). */
void gh__gateway_account(gh_gateway *gw, gh_decision *d, int status, int64_t upstream_ms, uint64_t bytes_in,
                         uint64_t bytes_out);
/* A request header by name, case-insensitive (authenticate.c). */
const char *gh__request_header(const gh_request *q, const char *name, size_t *len);
/* Sets auth to the request's credentials as realm reads them: the Authorization
 * value given, its API-key header, the client certificate, and the DPoP proof
 * given with its htu built in htu (which must outlive auth's use). */
void gh__realm_credentials(const gh__gw_realm *realm, const gh_request *q, const char *authorization,
                           size_t authorization_len, const char *dpop, size_t dpop_len, gh_auth_request *auth,
                           gh__buf *htu);
/* A fresh 128-bit request id: the gateway's random prefix and a hashed counter. */
void gh__gateway_request_id(gh_gateway *gw, uint64_t id[2]);

#endif
