/* ECDSA signature conversion between JWS's raw r||s (RFC 7518 section 3.4)
 * and the DER SEQUENCE { INTEGER r, INTEGER s } of X9.62. */
#ifndef GH_DER_H
#define GH_DER_H

#include <stddef.h>

#define GH__DER_ECDSA_MAX 144

/* Encodes raw r||s (each half bytes long) into out; returns the DER length,
 * or 0 when r or s is zero (such a signature never verifies). */
size_t gh__der_ecdsa_from_raw(const unsigned char *raw, size_t half, unsigned char *out);
/* Decodes DER into raw r||s of 2*half bytes; GH_OK or GH_EPARSE. */
int gh__der_ecdsa_to_raw(const unsigned char *der, size_t len, size_t half, unsigned char *raw);

#endif
