#include "der.h"

#include <string.h>

#include "gatehouse/error.h"

static size_t put_integer(const unsigned char *v, size_t n, unsigned char *out) {
  while (n && *v == 0) v++, n--;
  if (!n) return 0;
  size_t pad = (*v & 0x80) ? 1 : 0;
  out[0] = 0x02;
  out[1] = (unsigned char)(n + pad);
  out[2] = 0;
  memcpy(out + 2 + pad, v, n);
  return 2 + pad + n;
}

size_t gh__der_ecdsa_from_raw(const unsigned char *raw, size_t half, unsigned char *out) {
  unsigned char body[GH__DER_ECDSA_MAX];
  size_t r = put_integer(raw, half, body);
  if (!r) return 0;
  size_t s = put_integer(raw + half, half, body + r);
  if (!s) return 0;
  size_t n = r + s, h = 0;
  out[h++] = 0x30;
  if (n >= 0x80) out[h++] = 0x81;
  out[h++] = (unsigned char)n;
  memcpy(out + h, body, n);
  return h + n;
}

static int get_integer(const unsigned char **p, const unsigned char *end, size_t half, unsigned char *out) {
  if (end - *p < 2 || (*p)[0] != 0x02) return GH_EPARSE;
  size_t n = (*p)[1];
  const unsigned char *v = *p + 2;
  if (n == 0 || n > (size_t)(end - v)) return GH_EPARSE;
  *p = v + n;
  while (n > 1 && *v == 0) v++, n--;
  if (n > half) return GH_EPARSE;
  memset(out, 0, half - n);
  memcpy(out + half - n, v, n);
  return GH_OK;
}

int gh__der_ecdsa_to_raw(const unsigned char *der, size_t len, size_t half, unsigned char *raw) {
  const unsigned char *p = der, *end = der + len;
  if (len < 2 || p[0] != 0x30) return GH_EPARSE;
  size_t n = p[1];
  p += 2;
  if (n == 0x81) {
    if (p >= end) return GH_EPARSE;
    n = *p++;
  }
  if (n != (size_t)(end - p)) return GH_EPARSE;
  if (get_integer(&p, end, half, raw) || get_integer(&p, end, half, raw + half) || p != end) return GH_EPARSE;
  return GH_OK;
}

/* ---- private keys ---- */

/* A writer that only counts when p is NULL, so one routine measures and writes. */
typedef struct writer {
  unsigned char *p;
  size_t len;
} writer;

static void put(writer *w, const void *v, size_t n) {
  if (w->p) memcpy(w->p + w->len, v, n);
  w->len += n;
}

static void put_header(writer *w, unsigned char tag, size_t n) {
  unsigned char h[4] = {tag};
  size_t k = 1;
  if (n < 0x80) {
    h[k++] = (unsigned char)n;
  } else if (n < 0x100) {
    h[k++] = 0x81, h[k++] = (unsigned char)n;
  } else {
    h[k++] = 0x82, h[k++] = (unsigned char)(n >> 8), h[k++] = (unsigned char)n; /* keys stay below 64 KiB */
  }
  put(w, h, k);
}

/* INTEGER: leading zeros dropped, one added when the high bit is set. */
static void put_uint(writer *w, const unsigned char *v, size_t n) {
  while (n > 1 && *v == 0) v++, n--;
  size_t pad = n && (*v & 0x80) ? 1 : 0;
  put_header(w, 0x02, n + pad);
  if (pad) put(w, "", 1);
  put(w, v, n);
}

static size_t uint_size(const unsigned char *v, size_t n) {
  writer w = {NULL, 0};
  put_uint(&w, v, n);
  return w.len;
}

static size_t header_size(size_t n) { return n < 0x80 ? 2 : n < 0x100 ? 3 : 4; }

size_t gh__der_rsa_private(const gh__der_uint v[8], unsigned char *out, size_t cap) {
  static const unsigned char zero = 0;
  size_t body = uint_size(&zero, 1);
  for (int i = 0; i < 8; i++) {
    if (!v[i].len || v[i].len > 0x4000) return 0;
    body += uint_size(v[i].p, v[i].len);
  }
  if (header_size(body) + body > cap || body > 0xFFFF) return 0;
  writer w = {out, 0};
  put_header(&w, 0x30, body);
  put_uint(&w, &zero, 1); /* version: two-prime */
  for (int i = 0; i < 8; i++) put_uint(&w, v[i].p, v[i].len);
  return w.len;
}

size_t gh__der_ec_private(int curve, const unsigned char *d, const unsigned char *x, const unsigned char *y,
                          size_t coord, unsigned char *out, size_t cap) {
  static const unsigned char p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
  static const unsigned char p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};
  static const unsigned char p521[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23};
  const unsigned char *oid = curve == 256 ? p256 : curve == 384 ? p384 : curve == 521 ? p521 : NULL;
  size_t oid_len = curve == 256 ? sizeof p256 : sizeof p384;
  if (!oid || coord > 66) return 0;
  size_t point = 2 + 2 * coord; /* unused-bits byte, 0x04, x, y */
  size_t body = 3 + header_size(coord) + coord + header_size(oid_len) + oid_len + header_size(header_size(point) + point) +
                header_size(point) + point;
  if (header_size(body) + body > cap) return 0;
  static const unsigned char version[] = {0x02, 0x01, 0x01}, uncompressed[] = {0x00, 0x04};
  writer w = {out, 0};
  put_header(&w, 0x30, body);
  put(&w, version, sizeof version);
  put_header(&w, 0x04, coord); /* privateKey OCTET STRING, fixed length */
  put(&w, d, coord);
  put_header(&w, 0xA0, oid_len); /* [0] parameters: the named curve */
  put(&w, oid, oid_len);
  put_header(&w, 0xA1, header_size(point) + point); /* [1] publicKey BIT STRING */
  put_header(&w, 0x03, point);
  put(&w, uncompressed, sizeof uncompressed);
  put(&w, x, coord);
  put(&w, y, coord);
  return w.len;
}
