/**
 * @file gatehouse/jwt.h
 * @brief JWS compact verification and JWT claims validation
 *        (RFC 7515, RFC 7518, RFC 7519, RFC 8725 best practices).
 *
 * Build a verifier once (typed setters, then gh_jwt_verifier_build), then call
 * gh_jwt_verify from any number of threads. The key set is the one piece that
 * changes at runtime: gh_jwt_verifier_set_jwks swaps it atomically while other
 * threads verify; in-flight verifications finish with the set they started with.
 *
 * Rejection is not an error: gh_jwt_verify returns GH_EDENIED and a
 * gh_jwt_reason. Errors (GH_ENOMEM, GH_EMISUSE, ...) mean no decision was made.
 */
#ifndef GATEHOUSE_JWT_H
#define GATEHOUSE_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/export.h"
#include "gatehouse/jwk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message): why a token was rejected. Only ever added. */
#define GH_JWT_REASON_MAP(X)                                                         \
  X(OK, 0, "valid")                                                                  \
  X(MALFORMED, 1, "not a well-formed JWS compact serialization")                    \
  X(TOO_LARGE, 2, "token exceeds the configured size limit")                        \
  X(ALG_NONE, 3, "unsecured tokens (alg none) are never accepted")                  \
  X(ALG_UNSUPPORTED, 4, "unknown or unsupported alg")                               \
  X(ALG_NOT_ALLOWED, 5, "alg is not in the verifier's allow-list")                  \
  X(CRIT_UNSUPPORTED, 6, "crit names an extension this verifier does not process")  \
  X(BAD_TYP, 7, "typ header does not match")                                        \
  X(NO_KEYS, 8, "the verifier has no key set")                                      \
  X(UNKNOWN_KID, 9, "no key with this kid")                                         \
  X(NO_MATCHING_KEY, 10, "no key fits the token's alg")                             \
  X(AMBIGUOUS_KEY, 11, "several keys fit the token's kid and alg")                  \
  X(BAD_SIGNATURE, 12, "signature does not verify")                                 \
  X(BAD_PAYLOAD, 13, "payload is not a JSON object")                                \
  X(MISSING_CLAIM, 14, "a required claim is missing")                               \
  X(BAD_CLAIM, 15, "a registered claim has the wrong type")                         \
  X(EXPIRED, 16, "token has expired (exp)")                                         \
  X(NOT_YET_VALID, 17, "token is not valid yet (nbf)")                              \
  X(ISSUED_IN_FUTURE, 18, "token was issued in the future (iat)")                   \
  X(LIFETIME_TOO_LONG, 19, "token lifetime exceeds the configured maximum")         \
  X(BAD_ISSUER, 20, "issuer (iss) is not accepted")                                 \
  X(BAD_AUDIENCE, 21, "audience (aud) does not include an accepted value")

typedef enum gh_jwt_reason {
#define GH__JWT_REASON_ENUM(name, value, msg) GH_JWT_##name = value,
  GH_JWT_REASON_MAP(GH__JWT_REASON_ENUM)
#undef GH__JWT_REASON_ENUM
} gh_jwt_reason;

/** @return the reason's name without prefix ("EXPIRED"), or "UNKNOWN". */
GH_EXTERN const char *gh_jwt_reason_name(int reason);
/** @return a static English explanation of the reason. */
GH_EXTERN const char *gh_jwt_reason_message(int reason);

/* Registered claims that can be required (bit mask). */
#define GH_CLAIM_EXP 0x01u
#define GH_CLAIM_NBF 0x02u
#define GH_CLAIM_IAT 0x04u
#define GH_CLAIM_ISS 0x08u
#define GH_CLAIM_AUD 0x10u
#define GH_CLAIM_SUB 0x20u
#define GH_CLAIM_JTI 0x40u

#define GH_JWT_DEFAULT_LEEWAY_S 60
#define GH_JWT_DEFAULT_MAX_TOKEN_LEN (16u * 1024u)
/** GH_JWT_DEFAULT_LEEWAY_S, for callers that cannot see macros. */
GH_EXTERN int gh_jwt_default_leeway_s(void);
/** GH_JWT_DEFAULT_MAX_TOKEN_LEN, for callers that cannot see macros. */
GH_EXTERN size_t gh_jwt_default_max_token_len(void);

typedef struct gh_jwt_verifier gh_jwt_verifier;
typedef struct gh_principal gh_principal;

/**
 * Creates a verifier under construction with defaults: every supported
 * algorithm allowed (each still bound to its key type), "exp" required,
 * leeway 60 s, tokens up to 16 KiB, no issuer or audience restriction.
 */
GH_EXTERN int gh_jwt_verifier_new(gh_jwt_verifier **out);
/** Frees the verifier (and its cache, and its reference to the key set). NULL is a no-op. */
GH_EXTERN void gh_jwt_verifier_free(gh_jwt_verifier *v);

/* Setters: only before gh_jwt_verifier_build (GH_EMISUSE afterwards). */
/** Restricts algorithms: the first call replaces the default list. GH_EUNSUPPORTED for unknown names and "none". */
GH_EXTERN int gh_jwt_verifier_allow_alg(gh_jwt_verifier *v, const char *alg);
/** Accepts tokens whose "iss" equals this string exactly; may be called several times. */
GH_EXTERN int gh_jwt_verifier_add_issuer(gh_jwt_verifier *v, const char *iss, size_t len);
/** Accepts tokens whose "aud" contains this value; may be called several times. */
GH_EXTERN int gh_jwt_verifier_add_audience(gh_jwt_verifier *v, const char *aud, size_t len);
/** Clock skew tolerated for exp, nbf and iat, in seconds (0..86400). */
GH_EXTERN int gh_jwt_verifier_set_leeway(gh_jwt_verifier *v, int seconds);
/** Which registered claims must be present (GH_CLAIM_* mask; default GH_CLAIM_EXP). */
GH_EXTERN int gh_jwt_verifier_set_required_claims(gh_jwt_verifier *v, unsigned mask);
/** Requires the "typ" header, e.g. "at+jwt" (RFC 9068); "application/" prefix optional, case-insensitive. */
GH_EXTERN int gh_jwt_verifier_set_typ(gh_jwt_verifier *v, const char *typ);
/** Rejects tokens whose exp minus iat (or nbf) exceeds this many seconds (0: no limit; at most GH_TIME_MAX_MS / 1000). */
GH_EXTERN int gh_jwt_verifier_set_max_lifetime(gh_jwt_verifier *v, int64_t seconds);
/** Bounds the token length in bytes (64 .. 1 MiB). */
GH_EXTERN int gh_jwt_verifier_set_max_token_len(gh_jwt_verifier *v, size_t bytes);
/**
 * Enables the verified-token cache: at most max_entries tokens (spread over
 * shards), each kept until its exp or ttl_ms after it was verified, whichever
 * comes first. A hit compares the whole token, never only a hash.
 */
GH_EXTERN int gh_jwt_verifier_set_cache(gh_jwt_verifier *v, size_t max_entries, int64_t ttl_ms);
/**
 * Key refresh policy the host drives (the library does no I/O): refresh every
 * ttl_ms, and sooner when a token names an unknown kid, but not more often
 * than cooldown_ms. See gh_jwt_verifier_refresh_due.
 */
GH_EXTERN int gh_jwt_verifier_set_refresh(gh_jwt_verifier *v, int64_t ttl_ms, int64_t cooldown_ms);
/** Freezes the configuration. Afterwards the verifier is thread-safe. */
GH_EXTERN int gh_jwt_verifier_build(gh_jwt_verifier *v);

/**
 * Installs a key set (takes a new reference; the caller keeps its own).
 * Allowed before and after build, from any thread, concurrently with
 * gh_jwt_verify. Cached verifications made with the previous set are dropped.
 * @param now_ms  time of the fetch, for the refresh schedule
 */
GH_EXTERN int gh_jwt_verifier_set_jwks(gh_jwt_verifier *v, gh_jwks *set, int64_t now_ms);
/**
 * @return 1 when the host should fetch the key set again now (TTL elapsed, or
 *         an unknown kid was seen and the cooldown has passed), else 0.
 */
GH_EXTERN int gh_jwt_verifier_refresh_due(const gh_jwt_verifier *v, int64_t now_ms);

/**
 * Verifies a compact JWS and validates its JWT claims.
 * @param now_ms   current time (milliseconds since the epoch)
 * @param out      on GH_OK receives the principal (gh_principal_free); may be NULL
 * @param reason   receives the gh_jwt_reason (GH_JWT_OK on success); may be NULL
 * @param msg      optional buffer for a human explanation of a rejection
 * @return GH_OK, GH_EDENIED (see reason), GH_ENOMEM, GH_EMISUSE (not built)
 * Thread-safe. Never calls back into the host.
 */
GH_EXTERN int gh_jwt_verify(const gh_jwt_verifier *v, const char *token, size_t len, int64_t now_ms,
                            gh_principal **out, int *reason, char *msg, size_t msg_cap);

/** Drops a reference to a principal. NULL is a no-op. */
GH_EXTERN void gh_principal_free(gh_principal *p);
/** "sub", or NULL when absent. The string lives as long as the principal. */
GH_EXTERN const char *gh_principal_subject(const gh_principal *p);
/** "iss", or NULL when absent. */
GH_EXTERN const char *gh_principal_issuer(const gh_principal *p);
/** "exp" in seconds since the epoch, or 0 when absent. */
GH_EXTERN int64_t gh_principal_expires_at(const gh_principal *p);
/** Header "kid" of the verifying token, or NULL. */
GH_EXTERN const char *gh_principal_kid(const gh_principal *p);
/** Header "alg" of the verifying token. */
GH_EXTERN const char *gh_principal_alg(const gh_principal *p);
/** The payload as verified (JSON text, NUL-terminated); *len receives its length. */
GH_EXTERN const char *gh_principal_payload(const gh_principal *p, size_t *len);

/*
 * Claims by dotted path ("realm_access.roles"). Each returns GH_OK,
 * GH_ENOTFOUND (no such claim), GH_EINVAL (the claim has another type) or
 * GH_ENOMEM: verification reads only the registered claims, and the first
 * of these calls builds the claims tree (once per principal, thread-safe).
 * Strings live as long as the principal.
 */
GH_EXTERN int gh_principal_claim_string(const gh_principal *p, const char *path, size_t path_len, const char **out);
/** A number claim by dotted path (see gh_principal_claim_string). */
GH_EXTERN int gh_principal_claim_number(const gh_principal *p, const char *path, size_t path_len, double *out);
/** A boolean claim by dotted path, as 1 or 0 (see gh_principal_claim_string). */
GH_EXTERN int gh_principal_claim_bool(const gh_principal *p, const char *path, size_t path_len, int *out);
/** Number of strings in an array claim; a single string counts as one (as "aud" allows). */
GH_EXTERN int gh_principal_claim_strings_count(const gh_principal *p, const char *path, size_t path_len, size_t *count);
/** The index-th string of an array claim (or the single string at index 0). */
GH_EXTERN int gh_principal_claim_strings_at(const gh_principal *p, const char *path, size_t path_len, size_t index,
                                            const char **out);

/* Signing, for tests, demos and the CLI. */
typedef struct gh_signing_key gh_signing_key;
/** A private RSA or EC key in PEM (PKCS#1, SEC1 or PKCS#8, unencrypted). */
GH_EXTERN int gh_signing_key_from_pem(gh_signing_key **out, const char *pem, size_t len);
/** An HMAC secret (raw bytes). */
GH_EXTERN int gh_signing_key_from_secret(gh_signing_key **out, const unsigned char *secret, size_t len);
/**
 * A private JWK: "oct" (its "k"), "RSA" (two primes: n, e, d, p, q, dp, dq,
 * qi) or "EC" (P-256, P-384, P-521: x, y, d). RSA and EC keys are checked
 * against their public half, which must pass the checks a key set applies.
 * @return GH_OK, GH_EKEY (missing or mismatched members, a public key),
 *         GH_EUNSUPPORTED (other kty or curve, more than two primes), GH_EPARSE, GH_ENOMEM
 */
GH_EXTERN int gh_signing_key_from_jwk(gh_signing_key **out, const char *jwk_json, size_t len);
/** Frees and wipes. NULL is a no-op. */
GH_EXTERN void gh_signing_key_free(gh_signing_key *k);
/**
 * Signs payload_json (any JSON object) as a compact JWS with header
 * {"alg":alg,"typ":"JWT"[,"kid":kid]}. *out is NUL-terminated; free with gh_free.
 * @return GH_OK, GH_EUNSUPPORTED (alg), GH_EKEY (alg does not fit the key, or an
 *   HMAC key shorter than the hash output: RFC 7518 §3.2), GH_EPARSE, GH_ENOMEM
 */
GH_EXTERN int gh_jwt_sign(const gh_signing_key *k, const char *alg, const char *kid, const char *payload_json,
                          size_t len, char **out, size_t *out_len);
/**
 * Decodes a compact JWS's header and payload WITHOUT verifying anything: for
 * showing a token to a person, never for deciding. Strict base64url (RFC
 * 7515 section 2); the texts are not parsed as JSON. *header and *payload
 * are one allocation: free *header with gh_free (payload points into it).
 * @return GH_OK; GH_EPARSE (not three parts, or not base64url); GH_ETOOBIG
 *   (over GH_JWT_DEFAULT_MAX_TOKEN_LEN); GH_EINVAL; GH_ENOMEM
 */
GH_EXTERN int gh_jwt_decode_unverified(const char *token, size_t len, char **header, size_t *header_len, char **payload,
                                       size_t *payload_len);
/**
 * A new key from the system's CSPRNG: kty "RSA" (size: modulus bits, 2048 to
 * 8192, default 2048, exponent 65537), "EC" (size: 256, 384 or 521 for P-256,
 * P-384, P-521; default 256) or "oct" (size: bytes, 32 to 1024, default 32).
 * size 0 takes the default.
 * @return GH_OK, GH_EUNSUPPORTED (kty, curve), GH_EINVAL (size), GH_ECRYPTO, GH_ENOMEM
 */
GH_EXTERN int gh_signing_key_generate(gh_signing_key **out, const char *kty, unsigned size);
/**
 * The key as one JWK (RFC 7517; members per RFC 7518 section 6): the public
 * members, and the private ones too when include_private (an "oct" key has
 * only private members). kid, alg and use are added when not NULL; alg must
 * suit the key ("ES256" needs P-256) and use is "sig" or "enc". RSA and EC
 * keys are first read back as a key set reads them, so a key the verifier
 * would refuse is refused here. *out is NUL-terminated; free it with
 * gh_free_secret when it holds private members, else gh_free.
 * @return GH_OK, GH_EKEY (oct without include_private, a key a set refuses, alg
 *   for another key kind, an HMAC key shorter than alg's hash), GH_EUNSUPPORTED
 *   (alg), GH_EINVAL (use, a control character in kid), GH_ENOMEM
 */
GH_EXTERN int gh_signing_key_jwk(const gh_signing_key *k, int include_private, const char *kid, const char *alg,
                                 const char *use, char **out, size_t *out_len);
/**
 * The key as PEM: the private key as PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC
 * PRIVATE KEY") when include_private, else the public key as
 * SubjectPublicKeyInfo ("PUBLIC KEY"). Free with gh_free_secret.
 * @return GH_OK, GH_EUNSUPPORTED (an oct key), GH_EKEY, GH_ENOMEM
 */
GH_EXTERN int gh_signing_key_pem(const gh_signing_key *k, int include_private, char **out, size_t *out_len);
/** Wipes, then frees, a NUL-terminated secret the library returned (a private JWK or PEM). NULL is a no-op. */
GH_EXTERN void gh_free_secret(char *s);
/** What a signing key is: "oct", "RSA", "EC P-256", "EC P-384" or "EC P-521" (static). */
GH_EXTERN const char *gh_signing_key_kind(const gh_signing_key *k);
/** What key an algorithm needs, in gh_signing_key_kind's words ("ES256": "EC P-256"); NULL if unknown. */
GH_EXTERN const char *gh_jwt_alg_key_kind(const char *alg);
/** Frees memory the library returned to the caller (gh_jwt_sign's output). */
GH_EXTERN void gh_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
