/* The crypto provider interface: the few primitives JOSE needs. Exactly one
 * backend (crypto_mbedtls.c or crypto_openssl.c) is compiled in, chosen with
 * -DGH_CRYPTO=mbedtls|openssl. Everything above this file is backend-neutral.
 *
 * Thread-safety: a gh__pkey, once created, may verify on many threads at once. */
#ifndef GH_CRYPTO_H
#define GH_CRYPTO_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gh__hash { GH__SHA256 = 0, GH__SHA384 = 1, GH__SHA512 = 2 } gh__hash;

#define GH__HASH_MAX 64
size_t gh__hash_len(gh__hash h);
size_t gh__hash_block_len(gh__hash h);

/* Streaming hash state held by value (no allocation), so that HMAC can keep
 * precomputed inner/outer states and clone them per call. */
typedef struct gh__hash_ctx {
  alignas(16) unsigned char state[240];
  gh__hash alg;
} gh__hash_ctx;

void gh__hash_init(gh__hash_ctx *c, gh__hash h);
void gh__hash_update(gh__hash_ctx *c, const void *p, size_t n);
void gh__hash_final(gh__hash_ctx *c, unsigned char *out);
void gh__hash_digest(gh__hash h, const void *p, size_t n, unsigned char *out);

/* HMAC (RFC 2104) with the key's pads absorbed once (lib/crypto/hmac.c). */
typedef struct gh__hmac_key {
  gh__hash_ctx inner, outer;
} gh__hmac_key;
void gh__hmac_key_init(gh__hmac_key *k, gh__hash h, const unsigned char *key, size_t len);
void gh__hmac_compute(const gh__hmac_key *k, const void *msg, size_t n, unsigned char *out);
void gh__hmac_key_wipe(gh__hmac_key *k);

/* Public-key signature schemes of JWS (RFC 7518 section 3). */
typedef enum gh__sig_scheme { GH__SIG_PKCS1 = 0, GH__SIG_PSS = 1, GH__SIG_ECDSA = 2 } gh__sig_scheme;

typedef enum gh__curve { GH__P256 = 256, GH__P384 = 384, GH__P521 = 521 } gh__curve;
/* Bytes of one coordinate / one of r, s. */
size_t gh__curve_len(gh__curve c);

typedef struct gh__pkey gh__pkey;

/* RSA public key from big-endian n and e. GH_EKEY for an unusable key. */
int gh__pkey_rsa_new(gh__pkey **out, const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len);
/* EC public key; the point is checked to lie on the curve (GH_EKEY otherwise). */
int gh__pkey_ec_new(gh__pkey **out, gh__curve curve, const unsigned char *x, const unsigned char *y);
/* Private key from PEM (PKCS#1, SEC1 or PKCS#8), for signing. */
int gh__pkey_private_pem(gh__pkey **out, const char *pem, size_t len);
/* Private key from DER (RSAPrivateKey, ECPrivateKey or PKCS#8). */
int gh__pkey_private_der(gh__pkey **out, const unsigned char *der, size_t len);
void gh__pkey_free(gh__pkey *k);
/* RSA modulus bits, or 0 for EC keys. */
size_t gh__pkey_rsa_bits(const gh__pkey *k);
/* EC curve, or 0 for RSA keys. */
int gh__pkey_ec_curve(const gh__pkey *k);

/* Verifies sig over a digest of hash h. ECDSA signatures are raw r||s (JWS).
 * Returns GH_OK, GH_EDENIED (bad signature) or an error. */
int gh__pkey_verify(const gh__pkey *k, gh__sig_scheme s, gh__hash h, const unsigned char *digest,
                    const unsigned char *sig, size_t sig_len);
/* Signs a digest; ECDSA output is raw r||s. *sig_len in: capacity, out: length. */
int gh__pkey_sign(const gh__pkey *k, gh__sig_scheme s, gh__hash h, const unsigned char *digest, unsigned char *sig,
                  size_t *sig_len);
/* Exports public components (RSA n, e; EC x, y) into a fresh allocation each. */
int gh__pkey_public_parts(const gh__pkey *k, unsigned char **a, size_t *a_len, unsigned char **b, size_t *b_len);

/* Key management, for the CLI and tests (never on the verification path). */
/* Fills buf with len bytes from the backend's seeded CSPRNG. */
int gh__random(unsigned char *buf, size_t len);
/* A new key pair: RSA of rsa_bits (exponent 65537) when rsa_bits, else EC on curve. */
int gh__pkey_generate(gh__pkey **out, size_t rsa_bits, gh__curve curve);
/* Public key from PEM: SubjectPublicKeyInfo ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY"). */
int gh__pkey_public_pem(gh__pkey **out, const char *pem, size_t len);
/* A private key's private members, big-endian, each in a fresh allocation (free
 * with gh__free_secret): RSA d, p, q, dp, dq, qi (*count 6); EC d padded to the
 * curve length (*count 1). GH_EKEY for a public key. */
#define GH__PRIVATE_PARTS_MAX 6
int gh__pkey_private_parts(const gh__pkey *k, unsigned char **parts, size_t *lens, size_t *count);
/* The key as PEM, NUL-terminated: the private key as PKCS#1 ("RSA PRIVATE KEY")
 * or SEC1 ("EC PRIVATE KEY") when private, else the public key as
 * SubjectPublicKeyInfo ("PUBLIC KEY"). Free with gh__free_secret(*out, *len). */
int gh__pkey_pem(const gh__pkey *k, bool private_key, char **out, size_t *len);

/* ROCA (CVE-2017-15361) fingerprint of an RSA modulus (big-endian); backend-neutral. */
bool gh__rsa_modulus_is_roca(const unsigned char *n, size_t len);

/* "mbedtls" or "openssl". */
const char *gh__crypto_name(void);

#endif
