/**
 * @file gatehouse/dpop.h
 * @brief Token binding: DPoP proofs (RFC 9449) and certificate-bound access
 *        tokens (RFC 8705), against stolen-token replay.
 *
 * A DPoP proof is a JWT the client signs per request with its own key, carried
 * in the `DPoP` header: `typ` dpop+jwt, an asymmetric `alg`, the public `jwk`
 * in the header, `htm`/`htu` naming this request, a fresh `iat`, a unique
 * `jti`, and `ath` = base64url(SHA-256(access token)). An access token bound
 * to that key carries `cnf.jkt` = the key's RFC 7638 thumbprint; a token bound
 * to a client certificate carries `cnf.x5t#S256`.
 */
#ifndef GATEHOUSE_DPOP_H
#define GATEHOUSE_DPOP_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"
#include "gatehouse/jwt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message): why a proof or a binding was rejected. Only ever added. */
#define GH_DPOP_REASON_MAP(X)                                                        \
  X(OK, 0, "valid")                                                                  \
  X(MALFORMED, 1, "not a well-formed DPoP proof")                                    \
  X(TOO_LARGE, 2, "proof exceeds the size limit")                                    \
  X(BAD_TYP, 3, "typ is not dpop+jwt")                                               \
  X(BAD_ALG, 4, "alg is not an accepted asymmetric algorithm")                       \
  X(BAD_JWK, 5, "jwk header missing, unusable, or holding a private key")            \
  X(BAD_SIGNATURE, 6, "signature does not verify with the header's key")             \
  X(MISSING_CLAIM, 7, "jti, htm, htu or iat is missing or not of its type")          \
  X(BAD_HTM, 8, "htm is not this request's method")                                  \
  X(BAD_HTU, 9, "htu is not this request's URI")                                     \
  X(STALE, 10, "iat is outside the accepted window")                                 \
  X(BAD_ATH, 11, "ath is not the hash of the access token")                          \
  X(REPLAYED, 12, "this jti was already used")                                       \
  X(BINDING_MISMATCH, 13, "the proof key is not the key the token is bound to")      \
  X(PROOF_REQUIRED, 14, "the token is bound to a key (cnf.jkt) but no proof came")   \
  X(CERT_MISMATCH, 15, "the client certificate is not the one the token is bound to")

typedef enum gh_dpop_reason {
#define GH__DPOP_REASON_ENUM(name, value, msg) GH_DPOP_##name = value,
  GH_DPOP_REASON_MAP(GH__DPOP_REASON_ENUM)
#undef GH__DPOP_REASON_ENUM
} gh_dpop_reason;

/** The reason's name without prefix ("BAD_HTU"), or "UNKNOWN". Static, thread-safe. */
GH_EXTERN const char *gh_dpop_reason_name(int reason);

#define GH_DPOP_MAX_PROOF_LEN 8192u
#define GH_DPOP_DEFAULT_MAX_AGE_S 300
#define GH_DPOP_DEFAULT_MAX_SKEW_S 5
#define GH_DPOP_DEFAULT_REPLAY_ENTRIES 100000u

typedef struct gh_dpop_verifier gh_dpop_verifier;

/**
 * Replay hook: record jti until expires_ms. Return 1 when the jti was not
 * seen before (and is now recorded), 0 when it was (a replay), negative on
 * failure (the proof is then rejected: fail closed). Runs on the verifying
 * thread; it must be thread-safe when the verifier is shared.
 */
typedef int (*gh_dpop_replay_fn)(void *ud, const char *jti, size_t len, int64_t expires_ms);

/** Defaults: ES256/384/512, RS256/384/512, PS256/384/512; iat no older than
 *  300 s and no more than 5 s ahead; an in-memory replay cache of 100,000 jti. */
GH_EXTERN int gh_dpop_verifier_new(gh_dpop_verifier **out);
/** Drops the caller's reference; the last one frees the verifier and its replay cache (realms hold their own).
 *  NULL is a no-op; not while another thread verifies with it through this reference. */
GH_EXTERN void gh_dpop_verifier_free(gh_dpop_verifier *v);
/** Restricts the algorithms (the first call replaces the default list); symmetric ones are refused. */
GH_EXTERN int gh_dpop_verifier_allow_alg(gh_dpop_verifier *v, const char *alg);
/** How old a proof's iat may be (1-86400 s, default 300) and how far ahead (0-3600 s, default 5). @return GH_OK;
 * GH_EINVAL; GH_EMISUSE once built
 */
GH_EXTERN int gh_dpop_verifier_set_window(gh_dpop_verifier *v, int64_t max_age_s, int64_t max_skew_s);
/** Capacity of the in-memory replay cache. When it is full of live entries the
 *  soonest-expiring is evicted and counted (gh_dpop_verifier_replay_evictions):
 *  size it above (proofs per second) x (max_age + max_skew). */
GH_EXTERN int gh_dpop_verifier_set_replay_capacity(gh_dpop_verifier *v, size_t entries);
/** Replaces the in-memory cache with a host hook (e.g. Redis SET NX PX, for a cluster). */
GH_EXTERN int gh_dpop_verifier_set_replay_hook(gh_dpop_verifier *v, gh_dpop_replay_fn fn, void *ud);
/** Ends configuration: from here gh_dpop_verify may be called from any thread. @return GH_OK; GH_EMISUSE when built
 * already
 */
GH_EXTERN int gh_dpop_verifier_build(gh_dpop_verifier *v);
/** Live replay-cache entries evicted because it was full (a sign the capacity is too small). Thread-safe. */
GH_EXTERN uint64_t gh_dpop_verifier_replay_evictions(const gh_dpop_verifier *v);

#define GH_DPOP_JKT_LEN 43
/**
 * Verifies a DPoP proof (RFC 9449 section 4.3) for a request.
 * @param htm, htu        the request's method and absolute URI (query and fragment are ignored)
 * @param access_token    the access token presented with it (its hash must be `ath`), or NULL
 * @param expected_jkt    the token's `cnf.jkt` (expected_jkt_len bytes), or NULL
 * @param jkt_out         receives the proof key's thumbprint (GH_DPOP_JKT_LEN + NUL); may be NULL
 * @return GH_OK, GH_EDENIED (see reason), GH_ENOMEM, GH_EMISUSE (not built)
 */
GH_EXTERN int gh_dpop_verify(const gh_dpop_verifier *v, const char *proof, size_t proof_len, const char *htm,
                             size_t htm_len, const char *htu, size_t htu_len, const char *access_token,
                             size_t access_token_len, const char *expected_jkt, size_t expected_jkt_len,
                             int64_t now_ms, char *jkt_out,
                             int *reason, char *msg, size_t msg_cap);

/**
 * Checks a verified token's binding (its `cnf` claim): `cnf.jkt` needs the
 * thumbprint of a verified DPoP proof's key (RFC 9449 section 6), and
 * `cnf.x5t#S256` needs the SHA-256 of the client certificate (DER) the TLS
 * layer saw (RFC 8705 section 3). An unbound token passes.
 * @param dpop_jkt     thumbprint from gh_dpop_verify (dpop_jkt_len bytes), or NULL when no proof came
 * @param cert_sha256  32 bytes, or NULL when no client certificate
 * @return GH_OK or GH_EDENIED with a GH_DPOP_* reason
 */
GH_EXTERN int gh_principal_check_binding(const gh_principal *p, const char *dpop_jkt, size_t dpop_jkt_len,
                                         const unsigned char *cert_sha256, int *reason);

#ifdef __cplusplus
}
#endif
#endif
