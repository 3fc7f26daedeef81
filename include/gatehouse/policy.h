/**
 * @file gatehouse/policy.h
 * @brief Authorization: RBAC with role inheritance plus conditions (ABAC).
 *
 * A policy document (JSON) has "roles" (each may inherit others), "bindings"
 * (subject to roles) and "rules". A rule applies to a request when its action
 * matches (exactly, or "*"), its resource pattern matches, its subject matches
 * (listed in "subjects" or "*"; or holding one of "roles" directly or through
 * inheritance; or holding one of "scopes"), and every condition in "when"
 * holds. Deny overrides allow; with no applicable rule the answer is deny.
 * The decision names the deciding rule: the first applicable deny in document
 * order, else the first applicable allow.
 *
 * Resource patterns: "{name}" matches one non-empty path segment; a last
 * segment "*" takes the rest of the path, possibly nothing (so "/admin/"
 * followed by "*" covers "/admin", "/admin/" and "/admin/x/y"); everything
 * else matches literally. Patterns and resources are compared in their
 * canonical form (gatehouse/path.h), a trailing slash never counts, and
 * letter case counts unless the document says "ignore_case": true.
 *
 * Conditions ("when"; several members must all hold):
 *   "ip": ["10.0.0.0/8", "fd00::/8"]               client IP in any prefix
 *   "time": {"days": ["mon",...], "hours": [9, 17], "utc_offset": "+02:00"}
 *                                                   local day and hour in [from, to)
 *   "claim": {"path.to.claim": {"equals": v} | {"in": [v,...]} | {"contains": v}}
 *   "param": {"tenant": {"claim": "tenant_id"} | {"equals": "acme"}}
 *   "header": {"x-env": {"equals": "prod"} | {"in": ["a","b"]}}  (names case-insensitive)
 *   "all": [cond, ...], "any": [cond, ...], "not": cond
 *
 * A compiled gh_policy is immutable and thread-safe; to change policy, parse
 * a new one and swap the pointer (gh_policy_ref keeps the old one alive for
 * decisions in flight).
 */
#ifndef GATEHOUSE_POLICY_H
#define GATEHOUSE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_policy gh_policy;
typedef struct gh_policy_request gh_policy_request;

#define GH_POLICY_MAX_BYTES (64u * 1024u * 1024u)
#define GH_POLICY_MAX_ROLES 10000u
#define GH_POLICY_MAX_RULES 1000000u
/** GH_POLICY_MAX_ROLES, for callers that cannot see macros. */
GH_EXTERN size_t gh_policy_max_roles(void);

/* Decisions. */
#define GH_POLICY_DENY 0
#define GH_POLICY_ALLOW 1

/**
 * Parses and compiles a policy document. Configuration errors (unknown roles,
 * inheritance cycles, bad patterns, CIDRs or conditions) return GH_EPARSE with
 * the JSON path of the problem in msg, e.g. `rules[3].when.ip[0]: bad CIDR`.
 * @return GH_OK, GH_EPARSE, GH_ETOOBIG, GH_ENOMEM, GH_EINVAL
 */
GH_EXTERN int gh_policy_parse(gh_policy **out, const char *json, size_t len, char *msg, size_t msg_cap);
/** Takes another reference. */
GH_EXTERN gh_policy *gh_policy_ref(gh_policy *p);
/** Drops a reference. NULL is a no-op. */
GH_EXTERN void gh_policy_free(gh_policy *p);
/** Rules in the compiled policy. Thread-safe. */
GH_EXTERN size_t gh_policy_rule_count(const gh_policy *p);
/** What the policy's conditions read, so that a caller sets only that on its requests. */
#define GH_POLICY_READS_CLAIMS 0x1u  /* "claim" and "param"/"claim" conditions: set_claims */
#define GH_POLICY_READS_HEADERS 0x2u /* "header": add_header */
#define GH_POLICY_READS_IP 0x4u      /* "ip": set_client_ip */
#define GH_POLICY_READS_TIME 0x8u    /* "time": set_time */
/** GH_POLICY_READS_* of the policy's conditions; 0 for NULL. Thread-safe. */
GH_EXTERN unsigned gh_policy_reads(const gh_policy *p);
/** Roles the policy declares. Thread-safe. */
GH_EXTERN size_t gh_policy_role_count(const gh_policy *p);

/* A request: reusable, owned by one thread at a time. Strings are copied. */
GH_EXTERN int gh_policy_request_new(gh_policy_request **out);
/** Frees the request. NULL is a no-op. */
GH_EXTERN void gh_policy_request_free(gh_policy_request *r);
/** Forgets everything set, keeping the allocation. */
GH_EXTERN void gh_policy_request_reset(gh_policy_request *r);
/** Who asks (compared with "subjects" and bindings). Copied. @return GH_OK, GH_EINVAL, GH_ENOMEM */
GH_EXTERN int gh_policy_request_set_subject(gh_policy_request *r, const char *s, size_t n);
/** Roles the caller holds directly (e.g. from token claims); bindings add more. */
GH_EXTERN int gh_policy_request_add_role(gh_policy_request *r, const char *s, size_t n);
/** A scope the caller holds (compared with "scopes"). Copied. @return GH_OK, GH_EINVAL, GH_ENOMEM */
GH_EXTERN int gh_policy_request_add_scope(gh_policy_request *r, const char *s, size_t n);
/** What is asked, usually the HTTP method ("GET"). Copied. @return GH_OK, GH_EINVAL, GH_ENOMEM */
GH_EXTERN int gh_policy_request_set_action(gh_policy_request *r, const char *s, size_t n);
/**
 * The resource path, e.g. "/tenants/acme/orders/7", kept in its canonical
 * form (gatehouse/path.h) with one trailing slash dropped.
 * @return GH_OK; GH_EPARSE when the path is refused (a dot segment, an encoded
 *   '/', broken escapes: gh_path_canonicalize says why), and the request then
 *   holds no resource; GH_ETOOBIG; GH_EINVAL; GH_ENOMEM
 */
GH_EXTERN int gh_policy_request_set_resource(gh_policy_request *r, const char *s, size_t n);
/** Claims for "claim" and "param" conditions: a JSON object (strict JSON). */
GH_EXTERN int gh_policy_request_set_claims(gh_policy_request *r, const char *json, size_t n);
/** The client address, "192.0.2.7" or "2001:db8::7". GH_EINVAL if unparsable. */
GH_EXTERN int gh_policy_request_set_client_ip(gh_policy_request *r, const char *s, size_t n);
/** A request header for "header" conditions (names compare without case). Copied. @return GH_OK, GH_EINVAL, GH_ENOMEM */
GH_EXTERN int gh_policy_request_add_header(gh_policy_request *r, const char *name, size_t name_len,
                                           const char *value, size_t value_len);
/** Time for "time" conditions, ms since the epoch in [0, GH_TIME_MAX_MS] (default: unset). GH_EINVAL outside. */
GH_EXTERN int gh_policy_request_set_time(gh_policy_request *r, int64_t unix_ms);

/**
 * Decides. Allocates nothing; thread-safe on a shared policy.
 * @param decision  GH_POLICY_ALLOW or GH_POLICY_DENY
 * @param rule_id   the deciding rule's id (lives as long as the policy), or NULL
 *                  when no rule applied (deny by default)
 * @return GH_OK, or GH_EINVAL when the request lacks an action or resource
 */
GH_EXTERN int gh_policy_decide(const gh_policy *p, const gh_policy_request *r, int *decision, const char **rule_id);
/**
 * Explains a decision: every rule in document order with why it did or did
 * not apply, then the decision. *out is NUL-terminated text; free with gh_free.
 * The decision equals gh_policy_decide's (it is computed without the index).
 */
GH_EXTERN int gh_policy_explain(const gh_policy *p, const gh_policy_request *r, int *decision, const char **rule_id,
                                char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
