/**
 * @file gatehouse/gateway.h
 * @brief The gateway: one request in, one decision out, from one declarative
 *        JSON configuration that can be reloaded while requests are decided.
 *
 * A host parses HTTP, fills a gh_request with slices of its own buffers and
 * calls gh_gateway_decide. The pipeline runs route → API version and
 * lifecycle → authenticate → authorize → limits → transform → upstream and
 * fills a gh_decision: FORWARD (a target, the request headers and path to
 * send, response headers to add) or RESPOND (status, headers, body). The host
 * does the I/O, then calls gh_gateway_complete with what happened, which
 * reports passive health, releases concurrency slots and calls the completion
 * hook. The configuration document is described in docs/gateway.md and
 * docs/gateway.schema.json.
 *
 * Threads: a loaded gateway is shared by any number of threads, each with its
 * own gh_decision. gh_gateway_reload builds a new snapshot off the hot path and
 * swaps it in one atomic step; a decision keeps the snapshot it started on
 * until gh_gateway_complete (or the decision's next use or free).
 */
#ifndef GATEHOUSE_GATEWAY_H
#define GATEHOUSE_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/attrs.h"
#include "gatehouse/export.h"
#include "gatehouse/http.h"
#include "gatehouse/realm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_gateway gh_gateway;
typedef struct gh_decision gh_decision;

/** Bytes of a configuration document the loader accepts. */
#define GH_GATEWAY_MAX_CONFIG_BYTES (16u * 1024u * 1024u)
GH_EXTERN size_t gh_gateway_max_config_bytes(void);

/**
 * One request, as slices of the host's own buffers (nothing is copied; they
 * must stay valid until gh_gateway_decide returns). Fill what you have and
 * leave the rest zero.
 */
typedef struct gh_request {
  const char *method; /* "GET" */
  size_t method_len;
  const char *host; /* Host header or :authority, may carry ":port"; NULL: none */
  size_t host_len;
  const char *path; /* the request target's path, as received, without the query */
  size_t path_len;
  const char *query; /* without the '?'; NULL: none */
  size_t query_len;
  const gh_header *headers; /* every header, as the parser cut them out */
  size_t n_headers;
  gh_attr_fn header; /* or a lookup by name (case-insensitive) when the host has no array */
  void *header_ud;
  const char *client_ip; /* "192.0.2.7" or "2001:db8::7" */
  size_t client_ip_len;
  const unsigned char *client_cert_sha256; /* 32 bytes: the TLS client certificate's SHA-256 (RFC 8705), or NULL */
  const char *body;                        /* NULL: the host does not offer the body */
  size_t body_len;
  const char *scheme; /* "https" or "http", as the client used it (for DPoP's htu, RFC 9449 §4.3); NULL: "https" */
  size_t scheme_len;
} gh_request;
/** sizeof(gh_request), for bindings that mirror it. */
GH_EXTERN size_t gh_request_size(void);

/** A decision's verdict. */
#define GH_VERDICT_FORWARD 1 /* send the request to gh_decision_target */
#define GH_VERDICT_RESPOND 2 /* answer with gh_decision_status, headers and body */

/** The pipeline's stages, in order, for hooks and explanations. */
#define GH_STAGE_ROUTE 0
#define GH_STAGE_AUTHENTICATE 1
#define GH_STAGE_AUTHORIZE 2
#define GH_STAGE_LIMIT 3
#define GH_STAGE_TRANSFORM 4
#define GH_STAGE_UPSTREAM 5
#define GH_STAGE_COUNT 6
/** The stage's name ("route", "authenticate", ...), or "unknown". */
GH_EXTERN const char *gh_stage_name(int stage);

/** When a hook runs, relative to its stage. */
#define GH_HOOK_BEFORE 0
#define GH_HOOK_AFTER 1
#define GH_HOOK_REPLACE 2 /* instead of the stage (authenticate and authorize only) */

/** What a hook answers. A negative gh_err is a failure: the request gets 500 and the reason is logged. */
#define GH_HOOK_CONTINUE 0 /* go on with the pipeline */
#define GH_HOOK_ANSWERED 1 /* the hook called gh_decision_respond: stop here */

/**
 * A stage hook. It runs on the deciding thread, may read the request and the
 * decision so far (gh_decision_* accessors) and may call gh_decision_respond
 * or gh_decision_set_subject; it must not call gh_gateway_reload.
 */
typedef int (*gh_stage_hook_fn)(void *ud, const gh_request *request, gh_decision *decision);

/** Called by gh_gateway_complete, after health and slots are settled (metrics and access logs build on it). */
typedef void (*gh_completion_fn)(void *ud, const gh_decision *decision, int status, int64_t upstream_ms,
                                 uint64_t bytes_in, uint64_t bytes_out);

/**
 * Token introspection for "introspection" providers (RFC 7662): the host calls
 * `endpoint` with the token and hands back the response's JSON (allocated with
 * malloc; the gateway frees it). Return GH_OK, or an error for a failed call.
 */
typedef int (*gh_gateway_introspect_fn)(void *ud, const char *endpoint, const char *token, size_t len, char **json,
                                        size_t *json_len);

/**
 * For limits in mode "synced": pushes this instance's counts to Redis and
 * reads the cluster's back (gh_limiter_sync), for every such limit. Call it
 * from the host's timer, every second or so; it does I/O, never call it on a
 * deciding thread's hot path. @return GH_OK; the first error (GH_EIO when
 * Redis fails: the counts are kept for the next call); GH_EMISUSE before a load
 */
GH_EXTERN int gh_gateway_sync(gh_gateway *gw, int64_t now_ms);

/** A new gateway with no configuration. Configure hooks, then gh_gateway_load. @return GH_OK, GH_ENOMEM */
GH_EXTERN int gh_gateway_new(gh_gateway **out);
/** Frees the gateway; every decision must be completed or freed first. NULL is a no-op. */
GH_EXTERN void gh_gateway_free(gh_gateway *gw);

/** A stage hook (before the first load). @return GH_OK; GH_EINVAL (stage/when); GH_EMISUSE once loaded */
GH_EXTERN int gh_gateway_set_hook(gh_gateway *gw, int stage, int when, gh_stage_hook_fn fn, void *ud);
/** The completion hook (before the first load). @return GH_OK; GH_EMISUSE once loaded */
GH_EXTERN int gh_gateway_set_completion(gh_gateway *gw, gh_completion_fn fn, void *ud);
/** The introspection call (before the first load). @return GH_OK; GH_EMISUSE once loaded */
GH_EXTERN int gh_gateway_set_introspection(gh_gateway *gw, gh_gateway_introspect_fn fn, void *ud);

/**
 * Loads the first configuration. Every error of the document is reported at
 * once in `errors` (one per line: `$.json.path (line:column): message`,
 * truncated to errors_cap). @return GH_OK; GH_EPARSE (errors say what);
 * GH_ETOOBIG; GH_ENOMEM; GH_EMISUSE when loaded already (use reload)
 */
GH_EXTERN int gh_gateway_load(gh_gateway *gw, const char *json, size_t len, char *errors, size_t errors_cap);
/**
 * Builds a new snapshot from a whole document and swaps it in atomically. A
 * document that fails changes nothing. Decisions in flight finish on the
 * snapshot they started with; rate-limit counters of limits whose definition
 * did not change are kept. Thread-safe against deciding threads; reloads are
 * serialised. @return as gh_gateway_load; GH_EBUSY when 4095 older snapshots
 * are still held by decisions in flight
 */
GH_EXTERN int gh_gateway_reload(gh_gateway *gw, const char *json, size_t len, char *errors, size_t errors_cap);
/**
 * An incremental change: a JSON Patch (RFC 6902: add, remove, replace, test;
 * paths are RFC 6901 JSON Pointers) applied to the current document, which
 * is then loaded exactly as gh_gateway_reload loads one, e.g. a new identity
 * provider: `[{"op": "add", "path": "/realms/staff/providers/-", "value": {...}}]`,
 * or a route gone: `[{"op": "remove", "path": "/routes/0"}]`. Errors name the
 * failing operation, or the patched document's paths. Serialised with reloads.
 * @return as gh_gateway_reload
 */
GH_EXTERN int gh_gateway_patch(gh_gateway *gw, const char *patch, size_t len, char *errors, size_t errors_cap);
/**
 * The current document (after patches), in a fresh allocation the caller
 * frees with gh_free_secret (it holds key digests). @return GH_OK; GH_EMISUSE before a load; GH_ENOMEM
 */
GH_EXTERN int gh_gateway_document(const gh_gateway *gw, char **out, size_t *len);
/**
 * Checks a document without a gateway (what `gatehouse config lint` runs).
 * @return GH_OK or GH_EPARSE/GH_ETOOBIG with every error in `errors`
 */
GH_EXTERN int gh_gateway_config_check(const char *json, size_t len, char *errors, size_t errors_cap);

/** The current snapshot's version: 1 for the first load, +1 per successful reload; 0 before a load. */
GH_EXTERN uint64_t gh_gateway_version(const gh_gateway *gw);
/** The current document's SHA-256 as 64 hex digits into out[65]. @return GH_OK; GH_EMISUSE before a load */
GH_EXTERN int gh_gateway_hash(const gh_gateway *gw, char out[65]);

/**
 * Key sets fetched by the host for providers configured with "jwks_url": the
 * URLs the current configuration names, one at a time (i from 0). NULL past the end.
 * The string lives until the next reload.
 */
GH_EXTERN const char *gh_gateway_jwks_url(const gh_gateway *gw, size_t i);
/**
 * Hands a fetched key set to every provider that names `url`. The gateway keeps
 * the last good set per URL across reloads. A set that does not parse changes
 * nothing. @return GH_OK; GH_ENOTFOUND (no provider names url); GH_EPARSE (msg says why)
 */
GH_EXTERN int gh_gateway_set_jwks(gh_gateway *gw, const char *url, const char *json, size_t len, int64_t now_ms,
                                  char *msg, size_t msg_cap);

/**
 * Whether the host should fetch the key set at `url` now: never fetched, its
 * "jwks_ttl" elapsed, or a token named a kid the set lacks and "jwks_cooldown"
 * has passed since the last fetch (so forged kids cannot make the host hammer
 * the identity provider). Cheap enough to poll every second. @return 1 or 0
 */
GH_EXTERN int gh_gateway_jwks_due(gh_gateway *gw, const char *url, int64_t now_ms);

/**
 * OpenID Connect discovery for providers configured with "discovery_url":
 * the URLs to fetch, one at a time (i from 0); NULL past the end. Each lives
 * until the next reload.
 */
GH_EXTERN const char *gh_gateway_discovery_url(const gh_gateway *gw, size_t i);
/**
 * Hands a fetched discovery document to every provider that names `url`:
 * its "issuer" must be the provider's (RFC 8414 §3.3) and its "jwks_uri"
 * then joins gh_gateway_jwks_url's list, for the host to fetch and hand to
 * gh_gateway_set_jwks. Kept across reloads; a bad document changes nothing.
 * @return GH_OK; GH_ENOTFOUND (no provider names url); GH_EPARSE or GH_EDENIED (msg says why)
 */
GH_EXTERN int gh_gateway_set_discovery(gh_gateway *gw, const char *url, const char *json, size_t len, int64_t now_ms,
                                       char *msg, size_t msg_cap);

/**
 * Authenticates a request against a realm of the serving configuration, as a
 * route of that realm would (its providers and key sets, revocations, DPoP
 * and certificate binding), without routing or deciding anything else: for a
 * host's own endpoints, such as a developer portal's sign-in. *out is a fresh
 * identity, freed with gh_identity_free; it outlives reloads.
 * @return GH_OK; GH_EDENIED (*reason is a GH_AUTH_* code, and challenge holds a
 *         WWW-Authenticate value when its status is 401); GH_ENOTFOUND (no realm
 *         of that name); GH_EMISUSE before a load; GH_EINVAL; GH_ENOMEM
 */
GH_EXTERN int gh_gateway_authenticate(gh_gateway *gw, const char *realm, const gh_request *request, int64_t now_ms,
                                      gh_identity **out, int *reason, char *challenge, size_t challenge_cap);

/**
 * Whether deciding a request may wait on I/O with the serving configuration:
 * a "strict" limit (a Redis round trip) or an introspection provider (the
 * host's hook). A host with an event loop decides requests off the loop (a
 * thread pool) when it may, and inline, where it costs nothing, when not.
 * It can change with each reload. @return 1 or 0
 */
GH_EXTERN int gh_gateway_decide_may_wait(gh_gateway *gw);

/** A decision, reused request after request by one thread. @return GH_OK, GH_ENOMEM */
GH_EXTERN int gh_decision_new(gh_decision **out);
/** Frees the decision, completing it first if needed (as gh_gateway_complete with status 0). NULL is a no-op. */
GH_EXTERN void gh_decision_free(gh_decision *d);

/**
 * Decides one request at now_ms. A denial is not an error: it is a RESPOND
 * decision. An error (GH_EMISUSE before a load: 503; GH_EINVAL for a bad
 * argument or time: 500) leaves a RESPOND decision too, so that a host that
 * ignores the return still answers. Thread-safe; the decision must be completed before
 * its next use (or it is completed with status 0 then).
 */
GH_EXTERN int gh_gateway_decide(gh_gateway *gw, const gh_request *request, int64_t now_ms, gh_decision *d);
/**
 * After the host answered: `status` the status sent to the client (0 when the
 * upstream could not be reached), upstream_ms its time (-1: not forwarded),
 * byte counts both ways. Reports passive health, releases concurrency slots,
 * calls the completion hook and lets go of the snapshot. A second call is a no-op.
 */
GH_EXTERN void gh_gateway_complete(gh_gateway *gw, gh_decision *d, int status, int64_t upstream_ms,
                                   uint64_t bytes_in, uint64_t bytes_out);

/** GH_VERDICT_FORWARD or GH_VERDICT_RESPOND (0 before a decision). */
GH_EXTERN int gh_decision_verdict(const gh_decision *d);
/** RESPOND: the status to answer with; FORWARD: 0. */
GH_EXTERN int gh_decision_status(const gh_decision *d);
/** Response headers: the whole answer's (RESPOND) or those to add to the upstream's response (FORWARD: Deprecation, Sunset, Link, RateLimit). */
GH_EXTERN size_t gh_decision_header_count(const gh_decision *d);
/** The i-th response header; NULL past the end. Valid until the decision's next use. */
GH_EXTERN const gh_header *gh_decision_header(const gh_decision *d, size_t i);
/** RESPOND: the body (problem+json, or empty for gRPC). */
GH_EXTERN const char *gh_decision_body(const gh_decision *d, size_t *len);
/** FORWARD: the upstream target ("http://10.0.0.7:8080"). */
GH_EXTERN const char *gh_decision_target(const gh_decision *d);
/** FORWARD: the path and query to send upstream (canonical, transformed). */
GH_EXTERN const char *gh_decision_upstream_path(const gh_decision *d, size_t *len);
/** FORWARD: the request headers to send upstream (after transformations); *n their count. */
GH_EXTERN const gh_header *gh_decision_upstream_headers(const gh_decision *d, size_t *n);
/** The request id (the client's X-Request-Id when well-formed, else a new one). */
GH_EXTERN const char *gh_decision_request_id(const gh_decision *d);
/** The matched route's name, its API and API version, or NULL (also once completed). */
GH_EXTERN const char *gh_decision_route(const gh_decision *d);
GH_EXTERN const char *gh_decision_api(const gh_decision *d);
GH_EXTERN const char *gh_decision_api_version(const gh_decision *d);
/** The authenticated subject, or NULL. */
GH_EXTERN const char *gh_decision_subject(const gh_decision *d);
/**
 * The authenticated caller's identity (realm, provider, client id, roles,
 * scopes, claims: gatehouse/realm.h's gh_identity_* accessors), or NULL when
 * the caller is anonymous or a replacing hook named only a subject. Owned by
 * the decision: valid until gh_gateway_complete or the decision's next use.
 */
GH_EXTERN const gh_identity *gh_decision_identity(const gh_decision *d);
/** The recognised API consumer's name (docs/apim.md), or NULL. Valid until gh_gateway_complete. */
GH_EXTERN const char *gh_decision_consumer(const gh_decision *d);

/** Positions of the strings gh_decision_strings writes. */
#define GH_DECISION_STRING_VERDICT 0 /* "forward", "respond" or "" (no decision) */
#define GH_DECISION_STRING_STATUS 1  /* decimal: gh_decision_status */
#define GH_DECISION_STRING_REQUEST_ID 2
#define GH_DECISION_STRING_ROUTE 3
#define GH_DECISION_STRING_API 4
#define GH_DECISION_STRING_API_VERSION 5
#define GH_DECISION_STRING_SUBJECT 6
#define GH_DECISION_STRING_CONSUMER 7
#define GH_DECISION_STRING_REASON 8
#define GH_DECISION_STRING_TARGET 9
#define GH_DECISION_STRING_UPSTREAM_PATH 10
#define GH_DECISION_STRING_HEADERS 11 /* then each response header's name and value */
/**
 * The decision in one call, for bindings (a call through ctypes costs about
 * 200 ns, a string read through it as much again): what the accessors of the
 * same names return, as NUL-terminated strings one after another in `out`, in
 * the order of GH_DECISION_STRING_* ("" where the accessor returns NULL),
 * then each response header's name and value (gh_decision_header). The body
 * stays with gh_decision_body: it is bytes. *len gets the bytes written (or
 * needed), the last NUL included. The order only ever grows.
 * @return GH_OK; GH_ETOOBIG (cap too small: nothing useful written); GH_EINVAL
 */
GH_EXTERN int gh_decision_strings(const gh_decision *d, char *out, size_t cap, size_t *len);

/** Headers gh_gateway_decide_strings takes in one request. */
#define GH_DECIDE_STRINGS_MAX_HEADERS 256u
GH_EXTERN size_t gh_decide_strings_max_headers(void);
/**
 * gh_gateway_decide and gh_decision_strings in one call, for bindings, which
 * pay for every call and every field set through an FFI (about 200 ns each
 * through ctypes). The request comes as one block of NUL-terminated strings,
 * in this order: method, path, host, query with its '?' ("" none, "?" an
 * empty one), client IP, scheme, then each header's name and value; "" stands
 * for an absent host, client IP or scheme. The body (NULL: not offered) comes
 * beside it. The decision's strings go to `out` as gh_decision_strings writes
 * them, *out_len their length (or what they need).
 * @return what gh_gateway_decide returns; without deciding (and *out_len 0):
 *   GH_EPARSE for a malformed block (fewer than six strings, a name without
 *   its value, a query without its '?', not ending in NUL), GH_ETOOBIG for
 *   more than GH_DECIDE_STRINGS_MAX_HEADERS headers; after deciding,
 *   GH_ETOOBIG when `out` is too small (*out_len says how much it needs: call
 *   gh_decision_strings)
 */
GH_EXTERN int gh_gateway_decide_strings(gh_gateway *gw, const char *block, size_t len, const char *body,
                                        size_t body_len, int64_t now_ms, gh_decision *d, char *out, size_t cap,
                                        size_t *out_len);
/** The stage that decided a RESPOND (GH_STAGE_*), -1 for FORWARD. */
GH_EXTERN int gh_decision_stage(const gh_decision *d);
/** A machine-readable reason ("route:not_found", "authenticate:INVALID_TOKEN", "authorize:deny", "limit:per-user", ...). */
GH_EXTERN const char *gh_decision_reason(const gh_decision *d);
/** The version of the snapshot the decision was made on. */
GH_EXTERN uint64_t gh_decision_config_version(const gh_decision *d);
/**
 * The decision's explanation as JSON: the verdict, status, reason and each
 * stage's outcome and the rule that decided, in order. Always recorded, and
 * formatted only here; read it before gh_gateway_complete (or in the
 * completion hook): afterwards what it names may be gone.
 * @return GH_OK; GH_ETOOBIG (cap too small; *len says how much is needed);
 *   GH_EMISUSE once completed
 */
GH_EXTERN int gh_decision_explain(const gh_decision *d, char *out, size_t cap, size_t *len);

/**
 * From a hook: answer the request with status and a problem+json body whose
 * title is `detail`'s status text and whose detail is `detail` (may be NULL).
 * @return GH_OK; GH_EINVAL (status outside 100..599)
 */
GH_EXTERN int gh_decision_respond(gh_decision *d, int status, const char *detail);
/** From a replacing authenticate hook: the caller's subject. @return GH_OK, GH_EINVAL, GH_ETOOBIG */
GH_EXTERN int gh_decision_set_subject(gh_decision *d, const char *subject, size_t len);

#ifdef __cplusplus
}
#endif
#endif
