/* One configuration, built: everything a decision reads, immutable once
 * published. State that must survive a reload (limit counters, upstream
 * health) lives in reference-counted holders that the next snapshot takes
 * over when their definition did not change. */
#ifndef GH_SNAPSHOT_H
#define GH_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../apim/catalog.h"
#include "../core/strmap.h"
#include "graphql_guard.h"
#include "gatehouse/dpop.h"
#include "gatehouse/gateway.h"
#include "gatehouse/policy.h"
#include "gatehouse/ratelimit.h"
#include "gatehouse/realm.h"
#include "gatehouse/redis.h"
#include "gatehouse/router.h"
#include "gatehouse/transform.h"
#include "gatehouse/upstream.h"

#define GH__ROUTE_MAX_LIMITS 8 /* taken all or nothing per request (a decision's slots) */

#define GH__AUTH_NONE 0
#define GH__AUTH_OPTIONAL 1
#define GH__AUTH_REQUIRED 2

/* A limiter or an upstream pool, kept across snapshots while its definition holds. */
typedef struct gh__held {
  atomic_size_t refs;
  uint64_t definition; /* hash of the definition's canonical JSON */
  void *object;
  void (*free_object)(void *);
} gh__held;
gh__held *gh__held_new(void *object, void (*free_object)(void *), uint64_t definition);
gh__held *gh__held_ref(gh__held *h);
void gh__held_unref(gh__held *h);

typedef struct gh__gw_limit {
  char *name;
  gh__held *limiter; /* gh_limiter */
  gh_limit_key *key;
  bool concurrency;
  bool synced;        /* mode "synced": gh_gateway_sync pushes and pulls its counts */
  bool strict;        /* mode "strict": a Redis round trip in each decision that takes it */
  bool quota;         /* a calendar quota: its units are a consumer's usage */
  char *policy_field; /* its RateLimit-Policy value */
  char *recipe;       /* its key recipe: limits with the same one share one key per request */
} gh__gw_limit;

typedef struct gh__gw_pool {
  char *name;
  gh__held *upstream; /* gh_upstream */
  char *hash_key;     /* "ip", "header:NAME", "subject" for maglev; NULL: none */
} gh__gw_pool;

typedef struct gh__gw_idp_ctx { /* what an introspection provider's hook needs */
  struct gh_gateway *gw;
  char *endpoint;
} gh__gw_idp_ctx;

typedef struct gh__gw_realm {
  char *name;
  gh_realm *realm;
  char *api_key_header; /* where API keys are read, or NULL */
  gh_jwt_verifier **verifiers;
  char **verifier_urls;      /* each verifier's jwks_url (or the one its discovery names), or NULL */
  char **verifier_discovery; /* each verifier's discovery_url, or NULL */
  char **verifier_issuer;    /* the issuer its discovery document must name */
  size_t n_verifiers;
  gh_apikey_store **stores;
  size_t n_stores;
  gh__gw_idp_ctx **ctxs;
  size_t n_ctxs;
  gh_dpop_verifier *dpop; /* held by the realm (NULL: none); kept across reloads with its replay cache */
  uint64_t dpop_definition;
} gh__gw_realm;

typedef struct gh__gw_named { /* a policy or a transformation by name */
  char *name;
  void *object;
} gh__gw_named;

typedef struct gh__gw_graphql {
  gh__gql_limits limits;
  char **operations; /* allowed operation names; none: any */
  size_t n_operations;
} gh__gw_graphql;

typedef struct gh__gw_route {
  char *name;
  char *method, *template; /* as configured ("*": any method), the template with the version's base path */
  const gh__api_version *version; /* NULL: outside the catalog */
  const gh__gw_realm *realm;
  int auth;
  char **scopes; /* all required (RFC 6750 insufficient_scope otherwise) */
  size_t n_scopes;
  const gh_policy *policy;
  const gh__gw_limit **limits;
  size_t n_limits;
  const gh_transform *transform;
  const gh__gw_pool *pool;
  bool grpc; /* answers denials in gRPC form even without the content type */
  gh__gw_graphql *graphql; /* NULL: not a GraphQL route */
} gh__gw_route;

/* A plan: limits and quotas each consumer on it has to itself. */
typedef struct gh__gw_plan {
  char *name, *title;
  const gh__gw_limit **limits; /* in the snapshot's limits, named "plan:limit" */
  size_t n_limits;
  bool quota; /* some limit is a calendar quota */
} gh__gw_plan;

#define GH__SUB_ACTIVE 0
#define GH__SUB_SUSPENDED 1

typedef struct gh__gw_subscription {
  char *api, *version; /* version NULL: every version */
  int state;
} gh__gw_subscription;

typedef struct gh__gw_consumer {
  char *name;
  const gh__gw_plan *plan; /* NULL: none */
  gh__gw_subscription *subscriptions;
  size_t n_subscriptions;
} gh__gw_consumer;

typedef struct gh__snapshot {
  atomic_int_fast64_t releases; /* split reference count: see gateway.c */
  uint32_t slot;
  uint64_t version;
  char hash[65];
  char *document; /* the text it was built from */
  size_t document_len;
  gh_router *router;
  gh__api_version *versions;
  size_t n_versions;
  gh__gw_realm *realms;
  size_t n_realms;
  gh__gw_named *policies;
  size_t n_policies;
  gh__gw_named *transforms;
  size_t n_transforms;
  gh__gw_limit *limits;
  size_t n_limits;
  gh__gw_pool *pools;
  size_t n_pools;
  gh__gw_route *routes;
  size_t n_routes;
  char **jwks_urls; /* what the host fetches (grows when a discovery document names one) */
  size_t n_jwks_urls;
  char **discovery_urls;
  size_t n_discovery_urls;
  char *request_id_header; /* default "X-Request-Id" */
  gh__gw_plan *plans;
  size_t n_plans;
  gh__gw_consumer *consumers;
  size_t n_consumers;
  gh__strmap consumer_ids; /* "s" + subject or "c" + client id, interned */
  uint32_t *consumer_of;   /* by consumer_ids id: the consumer's index */
  gh__held *metrics;       /* gh__metrics, or NULL: off (or checking only) */
  gh__held *usage;         /* gh__usage, or NULL (checking only) */
  bool may_wait;           /* a strict limit or an introspection provider: gh_gateway_decide_may_wait */
} gh__snapshot;

/* What the builder may reuse and where it reads fetched key sets. */
typedef struct gh__build_context {
  struct gh_gateway *gw;            /* NULL: check only (no limiter memory, no Redis) */
  const gh__snapshot *previous;     /* NULL: none */
  const char *(*jwks_text)(struct gh_gateway *gw, const char *url, size_t *len); /* last good set for url */
  /* the gateway's Redis client for these settings (made once; other settings are refused) */
  int (*redis_client)(struct gh_gateway *gw, const char *host, int port, int timeout_ms, int connections,
                      gh_redis **out, char *msg, size_t cap);
} gh__build_context;

/* Builds a snapshot from a document; on GH_EPARSE `errors` holds every error. */
int gh__snapshot_build(const char *json, size_t len, const gh__build_context *ctx, gh__snapshot **out, char *errors,
                       size_t errors_cap);
void gh__snapshot_free(gh__snapshot *s);

#endif
