/* JWS compact serialization: parsing, header rules and signature check. */
#ifndef GH_JWS_H
#define GH_JWS_H

#include "jose.h"

#define GH__JWS_MAX_HEADER 4096
/* Longest "kid" and "typ" values accepted (decoded bytes). */
#define GH__JWS_MAX_KID 255
#define GH__JWS_MAX_TYP 63

typedef struct gh__jws {
  int alg;                /* index into gh__algs */
  const char *kid, *typ;  /* point into the buffers below, or NULL when absent */
  size_t kid_len;
  char kid_buf[GH__JWS_MAX_KID + 1], typ_buf[GH__JWS_MAX_TYP + 1];
  unsigned char *payload; /* decoded, NUL-terminated */
  size_t payload_len;
} gh__jws;

/* Verifies the compact JWS (len bytes) with the key set, accepting the
 * algorithms in alg_mask. Returns GH_OK (out filled; gh__jws_clear it),
 * GH_EDENIED with *reason, or GH_ENOMEM. Never reads the payload before the
 * signature has verified (RFC 8725 section 3.1). */
int gh__jws_verify(const gh_jwks *keys, unsigned alg_mask, const char *token, size_t len, gh__jws *out,
                   int *reason, char *msg, size_t msg_cap);
void gh__jws_clear(gh__jws *jws);

/* Sets *reason and a message; returns GH_EDENIED. */
int gh__deny(int *reason, int why, char *msg, size_t msg_cap, const char *detail);

#endif
