/* The DER that JOSE meets: ECDSA signature conversion between JWS's raw r||s
 * (RFC 7518 section 3.4) and the DER SEQUENCE { INTEGER r, INTEGER s } of
 * X9.62, and private keys from JWK members in the forms the crypto backends
 * load (RSAPrivateKey, RFC 8017 A.1.2; ECPrivateKey, RFC 5915). */
#ifndef GH_DER_H
#define GH_DER_H

#include <stddef.h>

#define GH__DER_ECDSA_MAX 144

/* Encodes raw r||s (each half bytes long) into out; returns the DER length,
 * or 0 when r or s is zero (such a signature never verifies). */
size_t gh__der_ecdsa_from_raw(const unsigned char *raw, size_t half, unsigned char *out);
/* Decodes DER into raw r||s of 2*half bytes; GH_OK or GH_EPARSE. */
int gh__der_ecdsa_to_raw(const unsigned char *der, size_t len, size_t half, unsigned char *raw);

/* A big-endian unsigned integer. */
typedef struct gh__der_uint {
  const unsigned char *p;
  size_t len;
} gh__der_uint;

/* RSAPrivateKey (two primes) from n, e, d, p, q, dp, dq, qi in that order.
 * Returns the length written, or 0 when out is too small or a value is zero. */
size_t gh__der_rsa_private(const gh__der_uint v[8], unsigned char *out, size_t cap);
/* ECPrivateKey with the named curve (256, 384 or 521) and the public point;
 * d, x and y are coord bytes each. Returns the length, or 0 when out is too small. */
size_t gh__der_ec_private(int curve, const unsigned char *d, const unsigned char *x, const unsigned char *y,
                          size_t coord, unsigned char *out, size_t cap);

#endif
