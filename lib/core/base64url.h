/* Strict base64url (RFC 4648 section 5) without padding, as JOSE requires
 * (RFC 7515 section 2): '=' padding, characters outside the URL-safe alphabet,
 * a length of 1 mod 4 and non-zero unused trailing bits are all rejected, so
 * every byte string has exactly one accepted encoding. */
#ifndef GH_BASE64URL_H
#define GH_BASE64URL_H

#include <stddef.h>

#include "core.h"

/* Upper bound of the decoded size of n encoded characters. */
#define GH__B64URL_DECODED_MAX(n) (((n) / 4) * 3 + 2)
/* Exact encoded size (no NUL) of n bytes. */
#define GH__B64URL_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Decodes into out (capacity cap). Returns GH_OK with *out_len set,
 * GH_EPARSE for a non-canonical or malformed input, GH_EBUFFER when cap is short. */
int gh__b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *out_len);
/* Decodes into a fresh allocation (caller frees with gh__free). */
int gh__b64url_decode_alloc(const char *in, size_t n, unsigned char **out, size_t *out_len);
/* Encodes n bytes; out must hold GH__B64URL_ENCODED_LEN(n) + 1 (NUL written). */
size_t gh__b64url_encode(const unsigned char *in, size_t n, char *out);
/* Appends the encoding of n bytes to b (in pieces, without one large scratch
 * copy; the pieces are wiped when b is secret). */
void gh__buf_put_b64url(gh__buf *b, const void *in, size_t n);

#endif
