/* Private RSA and EC JWKs as signing keys (lib/iam/signing_jwk.c). */
#ifndef GH_SIGNING_JWK_H
#define GH_SIGNING_JWK_H

#include <cjson/cJSON.h>

#include "../crypto/crypto.h"

/* A private key from a JWK of kty "RSA" (two primes, with the CRT members)
 * or "EC" (P-256, P-384, P-521), checked against its public half.
 * GH_OK, GH_EKEY (missing, malformed or mismatched members), GH_EUNSUPPORTED
 * (other kty or curve, "oth"), GH_ENOMEM. */
int gh__signing_pkey_from_jwk(const cJSON *jwk, const char *kty, gh__pkey **out);

#endif
