#include "base64url.h"

#include <stdint.h>

#include "core.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet members, 64 otherwise. */
static const uint8_t DECODE[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 63,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

int gh__b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *out_len) {
  const uint8_t *t = DECODE;
  if (n % 4 == 1) return GH_EPARSE;
  size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
  if (need > cap) return GH_EBUFFER;
  size_t o = 0, i = 0;
  for (; i + 4 <= n; i += 4) {
    uint8_t a = t[(unsigned char)in[i]], b = t[(unsigned char)in[i + 1]], c = t[(unsigned char)in[i + 2]],
            d = t[(unsigned char)in[i + 3]];
    if ((a | b | c | d) & 64) return GH_EPARSE;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
    out[o++] = (unsigned char)(v >> 16);
    out[o++] = (unsigned char)(v >> 8);
    out[o++] = (unsigned char)v;
  }
  size_t rest = n - i;
  if (rest) {
    uint8_t a = t[(unsigned char)in[i]], b = t[(unsigned char)in[i + 1]];
    uint8_t c = rest == 3 ? t[(unsigned char)in[i + 2]] : 0;
    if ((a | b | c) & 64) return GH_EPARSE;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
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
