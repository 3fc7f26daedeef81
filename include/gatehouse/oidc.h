/**
 * @file gatehouse/oidc.h
 * @brief OpenID Connect Discovery 1.0 / RFC 8414 authorization server metadata.
 *
 * The library does no network I/O: the host fetches
 * `<issuer>/.well-known/openid-configuration` (or oauth-authorization-server),
 * this parses and checks it, and the host then fetches `jwks_uri`.
 */
#ifndef GATEHOUSE_OIDC_H
#define GATEHOUSE_OIDC_H

#include <stddef.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gh_oidc_metadata gh_oidc_metadata;

#define GH_OIDC_MAX_BYTES (256u * 1024u)

/**
 * Parses a metadata document. "issuer" must equal expected_issuer exactly
 * (RFC 8414 section 3.3, OpenID Discovery section 4.3) and be an https URL
 * without query or fragment; "jwks_uri" is required and must be https.
 * @return GH_OK, GH_EPARSE (msg says what), GH_EDENIED (issuer mismatch), GH_ETOOBIG, GH_ENOMEM
 */
GH_EXTERN int gh_oidc_metadata_parse(gh_oidc_metadata **out, const char *json, size_t len,
                                     const char *expected_issuer, char *msg, size_t msg_cap);
/** Frees the metadata. NULL is a no-op. */
GH_EXTERN void gh_oidc_metadata_free(gh_oidc_metadata *m);
/** The issuer (equal to the expected one). Lives as long as the metadata; thread-safe. */
GH_EXTERN const char *gh_oidc_issuer(const gh_oidc_metadata *m);
/** The https URL of the key set to fetch. Lives as long as the metadata; thread-safe. */
GH_EXTERN const char *gh_oidc_jwks_uri(const gh_oidc_metadata *m);
/** NULL when the document has none. */
GH_EXTERN const char *gh_oidc_introspection_endpoint(const gh_oidc_metadata *m);
/** The token endpoint, or NULL when the document has none. */
GH_EXTERN const char *gh_oidc_token_endpoint(const gh_oidc_metadata *m);
/** 1 when the document lists alg in id_token_signing_alg_values_supported. */
GH_EXTERN int gh_oidc_supports_alg(const gh_oidc_metadata *m, const char *alg);

#ifdef __cplusplus
}
#endif
#endif
