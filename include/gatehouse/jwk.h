/**
 * @file gatehouse/jwk.h
 * @brief JSON Web Keys and key sets (RFC 7517, RFC 7518 section 6, RFC 7638).
 *
 * A gh_jwks is immutable once parsed and reference counted, so a verifier can
 * hold it while the host parses the next one; share it freely across threads.
 *
 * Parsing follows RFC 7517 section 5: keys of an unknown or unsupported "kty",
 * "crv" or "alg", keys missing required members, and keys too weak to trust
 * (RSA modulus below the minimum, ROCA-vulnerable moduli, public exponent 1,
 * EC points not on their curve) are skipped and counted, not fatal. A set
 * that is not valid JSON, exceeds the limits, or mixes symmetric ("oct") and
 * asymmetric keys (an invitation to algorithm confusion) is rejected whole.
 */
#ifndef GATEHOUSE_JWK_H
#define GATEHOUSE_JWK_H

#include <stddef.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_jwks gh_jwks;

#define GH_JWKS_DEFAULT_MAX_BYTES (1024u * 1024u)
#define GH_JWKS_DEFAULT_MAX_KEYS 256u
#define GH_JWKS_DEFAULT_MIN_RSA_BITS 2048u
/** FFI-visible copies of the defaults above. */
GH_EXTERN size_t gh_jwks_default_max_bytes(void);
/** GH_JWKS_DEFAULT_MAX_KEYS. */
GH_EXTERN size_t gh_jwks_default_max_keys(void);
/** GH_JWKS_DEFAULT_MIN_RSA_BITS. */
GH_EXTERN unsigned gh_jwks_default_min_rsa_bits(void);

/** Limits for gh_jwks_parse_limited(); 0 in a field means its default. */
typedef struct gh_jwks_limits {
  size_t max_bytes;
  size_t max_keys;
  unsigned min_rsa_bits;
} gh_jwks_limits;
/** sizeof(gh_jwks_limits), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_jwks_limits_size(void);

/**
 * Parses a JWK Set `{"keys":[...]}` or a single JWK object with default limits.
 * @param out  receives the key set (release with gh_jwks_free)
 * @param msg  optional buffer for a human-readable explanation of a failure
 * @return GH_OK, GH_EPARSE, GH_ETOOBIG, GH_EKEY (mixed key kinds), GH_ENOMEM, GH_EINVAL
 */
GH_EXTERN int gh_jwks_parse(gh_jwks **out, const char *json, size_t len, char *msg, size_t msg_cap);
/** As gh_jwks_parse() with explicit limits (NULL: defaults). */
GH_EXTERN int gh_jwks_parse_limited(gh_jwks **out, const char *json, size_t len, const gh_jwks_limits *limits,
                                    char *msg, size_t msg_cap);
/** Drops one reference; the last one frees and wipes the keys. NULL is a no-op. */
GH_EXTERN void gh_jwks_free(gh_jwks *set);
/** Number of usable keys. */
GH_EXTERN size_t gh_jwks_count(const gh_jwks *set);
/** Number of keys skipped as unsupported, malformed or too weak. */
GH_EXTERN size_t gh_jwks_skipped(const gh_jwks *set);

#define GH_JWK_THUMBPRINT_LEN 43
/**
 * RFC 7638 SHA-256 thumbprint of one public or private JWK, base64url encoded.
 * @param out  receives GH_JWK_THUMBPRINT_LEN characters and a NUL (cap >= 44)
 * @return GH_OK, GH_EPARSE, GH_EUNSUPPORTED (kty), GH_EBUFFER, GH_ENOMEM
 */
GH_EXTERN int gh_jwk_thumbprint(const char *jwk_json, size_t len, char *out, size_t out_cap);
/**
 * One PEM key as a JWK: a private key (PKCS#1, SEC1 or PKCS#8, unencrypted)
 * gives a private JWK, a public key (SubjectPublicKeyInfo or PKCS#1
 * "RSA PUBLIC KEY") a public one. kid, alg and use as gh_signing_key_jwk
 * (jwt.h) takes them; the key must pass the checks a key set applies.
 * Free *out with gh_free_secret.
 * @return GH_OK, GH_EPARSE (not a PEM key the library reads: RSA or EC P-256,
 *   P-384, P-521, unencrypted), GH_EKEY (a key a set refuses; alg for another
 *   kind), GH_EUNSUPPORTED (a key type JWS has no algorithm for), GH_EINVAL, GH_ENOMEM
 */
GH_EXTERN int gh_jwk_from_pem(const char *pem, size_t len, const char *kid, const char *alg, const char *use,
                              char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
