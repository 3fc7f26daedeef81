/**
 * @file gatehouse/realm.h
 * @brief Realms: isolated identity domains, each with its own identity
 *        providers (IdPs), tried in order, changeable at runtime.
 *
 * A realm answers "who is calling?" for a request's credentials: a bearer or
 * DPoP access token (JWT or opaque), an API key. Its IdPs are tried in the
 * order they were added; an IdP for which a credential is "not mine" (another
 * issuer, an unknown key) passes it on, while one that recognises and rejects
 * it (expired, bad signature) ends the attempt. Nothing leaks between realms:
 * a realm trusts exactly the issuers and keys of its own IdPs.
 *
 * IdPs can be added and removed while other threads authenticate: the realm
 * swaps an immutable snapshot; requests in flight finish with the one they
 * started with. Every rejection carries a reason and the RFC 6750
 * WWW-Authenticate challenge the host should send.
 */
#ifndef GATEHOUSE_REALM_H
#define GATEHOUSE_REALM_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/apikey.h"
#include "gatehouse/dpop.h"
#include "gatehouse/export.h"
#include "gatehouse/jwt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, http status, message): why authentication failed. Only ever added. */
#define GH_AUTH_REASON_MAP(X)                                                                  \
  X(OK, 0, 200, "authenticated")                                                               \
  X(NO_CREDENTIALS, 1, 401, "no credentials")                                                  \
  X(INVALID_TOKEN, 2, 401, "the access token is invalid")                                      \
  X(UNKNOWN_ISSUER, 3, 401, "no identity provider of this realm accepts the token")            \
  X(REVOKED, 4, 401, "the token was revoked")                                                  \
  X(INACTIVE, 5, 401, "the authorization server says the token is not active")                 \
  X(INVALID_API_KEY, 6, 401, "the API key is unknown, expired or revoked")                     \
  X(INVALID_DPOP_PROOF, 7, 401, "the DPoP proof is invalid")                                   \
  X(BINDING, 8, 401, "the token is bound to a key or certificate the request does not prove") \
  X(INSUFFICIENT_AUTH, 9, 401, "a stronger authentication (acr/amr) is required")              \
  X(IDP_ERROR, 10, 503, "an identity provider hook failed")

typedef enum gh_auth_reason {
#define GH__AUTH_REASON_ENUM(name, value, status, msg) GH_AUTH_##name = value,
  GH_AUTH_REASON_MAP(GH__AUTH_REASON_ENUM)
#undef GH__AUTH_REASON_ENUM
} gh_auth_reason;

/** The reason's name without prefix ("INVALID_TOKEN"), or "UNKNOWN". Static, thread-safe. */
GH_EXTERN const char *gh_auth_reason_name(int reason);
/** The HTTP status a host should answer with (401, or 503 for IDP_ERROR). */
GH_EXTERN int gh_auth_reason_status(int reason);
/** The reason's message for people ("the access token is invalid"). Static, thread-safe. */
GH_EXTERN const char *gh_auth_reason_message(int reason);

typedef struct gh_idp gh_idp;
typedef struct gh_realm gh_realm;
typedef struct gh_auth_request gh_auth_request;
typedef struct gh_identity gh_identity;

/* ---- identity providers (configure, then add to a realm; the realm keeps a reference) ---- */

/** A JWT IdP using a built verifier (its issuers, audiences, algorithms, keys). */
GH_EXTERN int gh_idp_new_jwt(gh_idp **out, const char *name, gh_jwt_verifier *verifier);
/** An API key IdP over a built store; the key's consumer becomes the subject, its scopes the scopes. */
GH_EXTERN int gh_idp_new_apikey(gh_idp **out, const char *name, gh_apikey_store *store);
/**
 * Token introspection (RFC 7662) through a host hook that performs the HTTP
 * call: it receives the token and returns the response body (JSON, allocated
 * with malloc; the library frees it) or a negative value on failure. Only
 * "active": true is accepted; results are cached until the token's "exp",
 * at most cache_ttl_ms.
 */
typedef int (*gh_introspect_fn)(void *ud, const char *token, size_t len, char **json, size_t *json_len);
/** An IdP that asks fn (RFC 7662 introspection by the host), caching answers. @return GH_OK, GH_EINVAL, GH_ENOMEM */
GH_EXTERN int gh_idp_new_introspection(gh_idp **out, const char *name, gh_introspect_fn fn, void *ud,
                                       int64_t cache_ttl_ms);
/**
 * A custom IdP (LDAP bind, a legacy session store, anything): the hook gets
 * the credential (bearer token or API key) and returns a claims document
 * (JSON object, malloc'd) and 1 when it authenticates the caller, 0 when the
 * credential is not one of its own, negative on failure.
 */
typedef int (*gh_custom_auth_fn)(void *ud, const char *credential, size_t len, char **claims_json, size_t *claims_len);
/** An IdP that asks fn (the host's own check). fn runs on the authenticating thread and must be thread-safe.
 * @return GH_OK, GH_EINVAL, GH_ENOMEM
 */
GH_EXTERN int gh_idp_new_custom(gh_idp **out, const char *name, gh_custom_auth_fn fn, void *ud);
/** Where roles come from: a claim path holding a string array or a space-separated
 *  string (e.g. "realm_access.roles", "roles"); may be called several times. */
GH_EXTERN int gh_idp_map_roles(gh_idp *idp, const char *claim_path);
/** Where scopes come from (default: "scope" as a space-separated string, and "scp" as an array). */
GH_EXTERN int gh_idp_map_scopes(gh_idp *idp, const char *claim_path);
/** Where groups come from (e.g. "groups"). */
GH_EXTERN int gh_idp_map_groups(gh_idp *idp, const char *claim_path);
/** Drops the caller's reference (realms keep their own). NULL is a no-op. */
GH_EXTERN void gh_idp_free(gh_idp *idp);

/* ---- realms ---- */

/** An empty realm named name (copied). Thread-safe once made: IdPs come and go at any time. @return GH_OK,
 * GH_EINVAL, GH_ENOMEM
 */
GH_EXTERN int gh_realm_new(gh_realm **out, const char *name);
/** Frees the realm and drops its IdP references. NULL is a no-op; not while another thread authenticates with it. */
GH_EXTERN void gh_realm_free(gh_realm *r);
/** The realm's name. Lives as long as the realm. */
GH_EXTERN const char *gh_realm_name(const gh_realm *r);
/** Appends an IdP (the realm takes a reference). Thread-safe, any time. GH_EEXIST for a taken name. */
GH_EXTERN int gh_realm_add_idp(gh_realm *r, gh_idp *idp);
/** Removes an IdP by name. Thread-safe, any time. GH_ENOTFOUND if absent. */
GH_EXTERN int gh_realm_remove_idp(gh_realm *r, const char *name, size_t name_len);
/** Identity providers now in the realm. Thread-safe. */
GH_EXTERN size_t gh_realm_idp_count(const gh_realm *r);
/** DPoP proofs for "DPoP" tokens (RFC 9449): the realm takes its own reference to a built verifier
 *  (several realms may share one, and its replay cache); the caller still frees its own. */
GH_EXTERN int gh_realm_set_dpop(gh_realm *r, gh_dpop_verifier *v);
/**
 * Revokes a token id (`jti`) until expires_ms. Thread-safe. GH_ETOOBIG when
 * the revocation list is full of live entries (it never forgets one to make room).
 */
GH_EXTERN int gh_realm_revoke(gh_realm *r, const char *jti, size_t len, int64_t expires_ms, int64_t now_ms);

/* ---- one request's credentials ---- */

/** An empty request, owned by one thread at a time and reusable with gh_auth_request_reset. @return GH_OK,
 * GH_EINVAL, GH_ENOMEM
 */
GH_EXTERN int gh_auth_request_new(gh_auth_request **out);
/** Frees the request. NULL is a no-op. */
GH_EXTERN void gh_auth_request_free(gh_auth_request *q);
/** Forgets every credential set, keeping the allocation. */
GH_EXTERN void gh_auth_request_reset(gh_auth_request *q);
/** The Authorization header value ("Bearer ..." or "DPoP ..."). */
GH_EXTERN int gh_auth_request_set_authorization(gh_auth_request *q, const char *value, size_t len);
/** An API key, wherever the host found it (a header, a query parameter). */
GH_EXTERN int gh_auth_request_set_api_key(gh_auth_request *q, const char *key, size_t len);
/** The DPoP header, with the request's method and absolute URI for htm/htu. */
GH_EXTERN int gh_auth_request_set_dpop(gh_auth_request *q, const char *proof, size_t len, const char *method,
                                       size_t method_len, const char *uri, size_t uri_len);
/** SHA-256 (32 bytes) of the client certificate's DER, from the TLS layer. */
GH_EXTERN int gh_auth_request_set_client_cert_sha256(gh_auth_request *q, const unsigned char *hash);

/**
 * Authenticates. On GH_OK *out is the caller's identity (gh_identity_free).
 * On GH_EDENIED, *reason says why and `challenge` receives the
 * WWW-Authenticate value, e.g. `Bearer realm="acme", error="invalid_token",
 * error_description="token has expired (exp)"`. Thread-safe; runs IdP hooks
 * on the calling thread.
 */
GH_EXTERN int gh_realm_authenticate(gh_realm *r, const gh_auth_request *q, int64_t now_ms, gh_identity **out,
                                    int *reason, char *challenge, size_t challenge_cap);

/* ---- the authenticated caller ---- */

/** Drops a reference. NULL is a no-op. */
GH_EXTERN void gh_identity_free(gh_identity *id);
/** The subject ("sub", or the API key's consumer). Lives as long as the identity; thread-safe, as are the accessors
 * below.
 */
GH_EXTERN const char *gh_identity_subject(const gh_identity *id);
/** The realm that authenticated the caller. */
GH_EXTERN const char *gh_identity_realm(const gh_identity *id);
/** The identity provider that authenticated the caller. */
GH_EXTERN const char *gh_identity_idp(const gh_identity *id);
/** "client_id" or "azp", or NULL. */
GH_EXTERN const char *gh_identity_client_id(const gh_identity *id);
/** "acr", or NULL. */
GH_EXTERN const char *gh_identity_acr(const gh_identity *id);
/** Roles mapped from the claims (gh_idp_map_roles). */
GH_EXTERN size_t gh_identity_role_count(const gh_identity *id);
/** The i-th role, or NULL past the end. */
GH_EXTERN const char *gh_identity_role(const gh_identity *id, size_t i);
/** Scopes mapped from the claims (gh_idp_map_scopes). */
GH_EXTERN size_t gh_identity_scope_count(const gh_identity *id);
/** The i-th scope, or NULL past the end. */
GH_EXTERN const char *gh_identity_scope(const gh_identity *id, size_t i);
/** Groups mapped from the claims (gh_idp_map_groups). */
GH_EXTERN size_t gh_identity_group_count(const gh_identity *id);
/** The i-th group, or NULL past the end. */
GH_EXTERN const char *gh_identity_group(const gh_identity *id, size_t i);
/** Authentication methods in "amr". */
GH_EXTERN size_t gh_identity_amr_count(const gh_identity *id);
/** The i-th method of "amr", or NULL past the end. */
GH_EXTERN const char *gh_identity_amr(const gh_identity *id, size_t i);
/** All claims as JSON text (the token payload, the introspection response or the custom hook's document). */
GH_EXTERN const char *gh_identity_claims(const gh_identity *id, size_t *len);
/**
 * The identity as an attribute view (gatehouse/attrs.h), for limit keys and
 * transformations: pass gh_identity_attr with the identity as its ud.
 * Answers "subject", "client_id", "realm" and "claims". Thread-safe.
 */
GH_EXTERN const char *gh_identity_attr(void *identity, const char *name, size_t name_len, size_t *value_len);

/**
 * Step-up (RFC 9470): requires `acr` to be one of acr_values (space-separated;
 * NULL: any) and `amr` to contain every method of amr_required (space-separated;
 * NULL: none). On GH_EDENIED, challenge receives `Bearer realm="...",
 * error="insufficient_user_authentication", error_description="...", acr_values="..."`.
 */
GH_EXTERN int gh_identity_require(const gh_identity *id, const char *acr_values, const char *amr_required,
                                  char *challenge, size_t challenge_cap);

/**
 * The challenge for an authenticated caller who may not do what it asked
 * (an authorization denial, HTTP 403; RFC 6750 section 3.1):
 * `Bearer realm="...", error="insufficient_scope", error_description="...", scope="..."`.
 * @param scope  the scope(s) that would allow the request (space-separated), or NULL
 */
GH_EXTERN void gh_identity_challenge_insufficient_scope(const gh_identity *id, const char *scope, char *challenge,
                                                        size_t challenge_cap);

#ifdef __cplusplus
}
#endif
#endif
