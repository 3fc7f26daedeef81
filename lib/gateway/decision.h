/* A decision's state, filled by the pipeline (gateway.c) and read through
 * the public accessors (decision.c). One per thread, reused. */
#ifndef GH_DECISION_H
#define GH_DECISION_H

#include <stdbool.h>
#include <stdint.h>

#include "../apim/metrics.h"
#include "../core/core.h"
#include "gatehouse/gateway.h"
#include "gatehouse/policy.h"
#include "gatehouse/realm.h"
#include "gatehouse/router.h"
#include "gatehouse/transform.h"
#include "graphql_guard.h"
#include "snapshot.h"

#define GH__DECISION_HEADERS 24
#define GH__DECISION_ARENA 8192
#define GH__DECISION_TRAIL 16
#define GH__DECISION_SLOTS GH__ROUTE_MAX_LIMITS
#define GH__LIMIT_KEY_MAX 512

/* One step of the explanation, recorded without formatting (a decision
 * records several; explanations are read for few): the format and its
 * arguments, which point into the snapshot, the decision or static text and
 * so stay valid until the decision completes. */
typedef struct gh__trail_step {
  int stage;
  const char *outcome; /* static text: "matched", "denied", ... */
  const char *fmt;     /* %s, %d, %zu, %llu and %.*s only */
  const char *s[4];
  long long n[2];
} gh__trail_step;

struct gh_decision {
  gh_gateway *gw;
  gh__snapshot *snap; /* held until completion */
  bool open;          /* decided, not yet completed */
  int verdict, status, stage;
  char reason[96];
  gh_header headers[GH__DECISION_HEADERS];
  size_t n_headers;
  char arena[GH__DECISION_ARENA];
  size_t arena_used;
  gh__buf body;
  const gh__gw_route *route;
  gh_route_match match;
  gh_identity *identity;
  char subject[256];
  bool has_subject;
  gh_auth_request *auth;
  gh_policy_request *policy;
  char limit_keys[GH__DECISION_SLOTS][GH__LIMIT_KEY_MAX];
  struct {
    gh_limiter *limiter;
    size_t key;
  } slots[GH__DECISION_SLOTS]; /* concurrency slots to give back */
  size_t n_slots;
  gh_upstream *upstream;
  size_t target;
  bool picked;
  gh_transform_result transformed;
  bool has_transformed;
  const gh_header *up_headers;
  size_t n_up_headers;
  gh__buf up_path;
  gh__buf scratch; /* the path with its query, as received (the route match points into it) */
  gh__buf htu;     /* DPoP: the request's absolute URI */
  char request_id[130];
  gh__trail_step trail[GH__DECISION_TRAIL];
  size_t n_trail;
  uint64_t config_version;
  int64_t now_ms; /* when it was decided */
  bool grpc; /* the caller speaks gRPC: denials in its form */
  char note[256]; /* a message a stage's trail step points to */
  /* the headers the pipeline reads, found in one pass over the request's */
  gh__span authorization, content_type, accept, accept_version, given_request_id, dpop;
  /* a GraphQL route's document, operation name and what the guard found */
  gh__buf gql_doc, gql_name;
  gh__gql_result gql;
  bool has_gql;
  /* API management: the recognised consumer, what its plan's quotas counted, the time each part took */
  const gh__gw_consumer *consumer;
  bool quota_taken;
  bool timed;                  /* part_ticks were measured (metrics or an access log are on) */
  int64_t part_ticks[4];       /* GH_METRIC_AUTHENTICATE .. GH_METRIC_OTHER (gh__ticks); < 0: did not run */
  char method[16];             /* the request's method, for the access log (cut) */
  gh__buf log_line;
  gh__metrics_cache metrics_cache; /* this thread's last series and counter */
};

/* Forgets the previous request, keeping allocations. */
void gh__decision_reset(gh_decision *d);
/* Copies (p, n) into the arena; NULL when full. */
const char *gh__decision_keep(gh_decision *d, const char *p, size_t n);
/* Adds a response header (copied); false when full. */
bool gh__decision_add_header(gh_decision *d, const char *name, const char *value, size_t value_len);
/* Records one step of the explanation: the format's %s (and %.*s) take
 * s0..s3 in order, its %d, %zu, %llu (and the * of %.*s) n0, n1. Nothing is
 * formatted here; the strings must live until the decision completes. */
static inline void gh__decision_trace(gh_decision *d, int stage, const char *outcome, const char *fmt, const char *s0,
                                      const char *s1, const char *s2, const char *s3, long long n0, long long n1) {
  if (d->n_trail == GH__DECISION_TRAIL) return;
  d->trail[d->n_trail++] = (gh__trail_step){stage, outcome, fmt, {s0, s1, s2, s3}, {n0, n1}};
}
/* Answers with status: a problem+json body (RFC 9457), or for gRPC callers
 * a trailers-only answer (HTTP 200, grpc-status, grpc-message). `type` is a
 * problem type URI or NULL (about:blank); challenge a WWW-Authenticate value or NULL. */
void gh__decision_deny(gh_decision *d, int stage, int status, const char *reason, const char *type,
                       const char *detail, const char *challenge, bool grpc);

#endif
