#include "base64url.h"

#include <stdint.h>

#include "core.h"
#include "table256.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A character's six bits, or 64 outside the alphabet. */
#define SEXTET(c)                                                                                                  \
  ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                                                          \
   : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                                                     \
   : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                                                     \
   : (c) == '-'               ? 62                                                                                 \
   : (c) == '_'               ? 63                                                                                 \
                              : 64)
/* Bit 24 marks a character outside the alphabet; it survives the OR of a quad. */
#define INVALID (1u << 24)
#define SHIFTED(c, shift) (SEXTET(c) == 64 ? INVALID : (uint32_t)SEXTET(c) << (shift))

/* The sextet of each character already shifted to its place in a quad's 24
 * bits: a quad decodes with four loads and three ORs. */
static const uint32_t DECODE[4][256] = {
    {GH__TABLE256(SHIFTED, 18)}, {GH__TABLE256(SHIFTED, 12)}, {GH__TABLE256(SHIFTED, 6)}, {GH__TABLE256(SHIFTED, 0)}};

int gh__b64url_decode(const char *in_chars, size_t n, unsigned char *out, size_t cap, size_t *out_len) {
  const unsigned char *in = (const unsigned char *)in_chars;
  if (n % 4 == 1) return GH_EPARSE;
  size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
  if (need > cap) return GH_EBUFFER;
  size_t o = 0, i = 0;
  for (; i + 4 <= n; i += 4, o += 3) {
    uint32_t v = DECODE[0][in[i]] | DECODE[1][in[i + 1]] | DECODE[2][in[i + 2]] | DECODE[3][in[i + 3]];
    if (v & INVALID) return GH_EPARSE;
    out[o] = (unsigned char)(v >> 16);
    out[o + 1] = (unsigned char)(v >> 8);
    out[o + 2] = (unsigned char)v;
  }
  size_t rest = n - i;
  if (rest) {
    uint32_t v = DECODE[0][in[i]] | DECODE[1][in[i + 1]] | (rest == 3 ? DECODE[2][in[i + 2]] : 0);
    if (v & INVALID) return GH_EPARSE;
    /* Unused low bits must be zero: otherwise two encodings decode alike. */
    if (rest == 2 && (v & 0xFFFF)) return GH_EPARSE;
    if (rest == 3 && (v & 0xFF)) return GH_EPARSE;
    out[o++] = (unsigned char)(v >> 16);
    if (rest == 3) out[o++] = (unsigned char)(v >> 8);
  }
  *out_len = o;
  return GH_OK;
}

int gh__b64url_decode_alloc(const char *in, size_t n, unsigned char **out, size_t *out_len) {
  *out = NULL;
  unsigned char *p = gh__malloc(GH__B64URL_DECODED_MAX(n));
  if (!p) return GH_ENOMEM;
  int rc = gh__b64url_decode(in, n, p, GH__B64URL_DECODED_MAX(n), out_len);
  if (rc) {
    gh__free(p);
    return rc;
  }
  *out = p;
  return GH_OK;
}

size_t gh__b64url_encode(const unsigned char *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = ALPHABET[v >> 18];
    out[o++] = ALPHABET[(v >> 12) & 63];
    out[o++] = ALPHABET[(v >> 6) & 63];
    out[o++] = ALPHABET[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = ALPHABET[v >> 18];
    out[o++] = ALPHABET[(v >> 12) & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = ALPHABET[v >> 18];
    out[o++] = ALPHABET[(v >> 12) & 63];
    out[o++] = ALPHABET[(v >> 6) & 63];
  }
  out[o] = '\0';
  return o;
}

void gh__buf_put_b64url(gh__buf *b, const void *in, size_t n) {
  char tmp[GH__B64URL_ENCODED_LEN(1536) + 1];
  const unsigned char *p = in;
  /* whole 3-byte groups per piece, so that the pieces concatenate */
  for (size_t done = 0; done < n;) {
    size_t chunk = n - done > 1536 ? 1536 : n - done;
    gh__buf_put(b, tmp, gh__b64url_encode(p + done, chunk, tmp));
    done += chunk;
  }
  if (b->secret) gh__wipe(tmp, sizeof tmp);
}
